"""The toy world: named visual concepts rendered on small, cluttered images.

A class is a colour x fill-pattern pair ("striped red shape"); the shape itself, its
position and size, the background clutter, two patterned distractors, colour jitter and
pixel noise are nuisances. A pattern fits inside one 8 x 8 patch, so a tiny ViT can learn
it in a minute (architecture.md, "the toy world").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from . import files

__all__ = ["ToyWorld", "render", "write_raw_dataset"]

SHAPES = ("circle", "square", "diamond", "triangle")
DEFAULT_COLORS = {
    "red": (215, 45, 40),
    "orange": (240, 130, 30),
    "yellow": (230, 205, 45),
    "green": (55, 165, 60),
    "teal": (35, 160, 160),
    "blue": (45, 85, 215),
    "purple": (135, 60, 190),
    "pink": (240, 120, 185),
}


@dataclass(frozen=True)
class ToyWorld:
    """Everything that defines the rendered world (the `toy_world` config block).

    Args:
        colors: colour name -> RGB in 0..255; some deliberately close (red/orange).
        patterns: fill patterns, a subset of `plain striped checkered dotted ringed`.
        image_size: side of the rendered images; the toy model sees their central 32 x 32
            (36 px is what the 8/7 test resize of a 32 px model asks for).
        object_radius: (min, max) radius of the labelled object, as a fraction of the side.
        distractors: number of smaller patterned shapes drawn under the object.
        distractor_radius: (min, max) distractor radius, as a fraction of the side.
        background_blobs: random coloured rectangles forming the clutter.
        color_jitter: per-channel uniform jitter of every colour, in 0..255 units.
        noise: standard deviation of the Gaussian pixel noise, in 0..255 units.
        seed: seed of the rendered raw dataset (pretraining corpora have their own).
    """

    colors: dict[str, tuple[int, int, int]] = field(default_factory=lambda: dict(DEFAULT_COLORS))
    patterns: tuple[str, ...] = ("plain", "striped", "checkered", "dotted", "ringed")
    image_size: int = 36
    object_radius: tuple[float, float] = (0.22, 0.34)
    distractors: int = 2
    distractor_radius: tuple[float, float] = (0.1, 0.18)
    background_blobs: int = 3
    color_jitter: float = 25.0
    noise: float = 12.0
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = set(self.patterns) - set(_PATTERNS)
        if unknown:
            raise ValueError(f"toy_world.patterns: unknown {sorted(unknown)}; known: {list(_PATTERNS)}")
        if len(self.colors) < 1 or len(self.patterns) < 1:
            raise ValueError("toy_world needs at least one colour and one pattern")

    @property
    def class_names(self) -> list[str]:
        """Class names in label order: every pattern for the first colour, then the next."""
        return [f"{p} {c} shape" for c in self.colors for p in self.patterns]

    @property
    def num_classes(self) -> int:
        return len(self.colors) * len(self.patterns)

    def class_attributes(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(colour index, pattern index) of each label."""
        labels = np.asarray(labels)
        return labels // len(self.patterns), labels % len(self.patterns)


# Pattern functions: pixel grids `xx`, `yy` (S, S), per-image object centre `cx`, `cy` and
# independent phases `px`, `py` (N, 1, 1); True where the fill colour goes. Phases and stripe
# orientation are random per image, so a shift or a flip of an image is another image of the
# same class (fine-tuning crops and flips must not leave the pretraining distribution).


def _pattern_plain(xx, yy, cx, cy, px, py, orientation):
    return np.ones(np.broadcast_shapes(xx.shape, cx.shape), dtype=bool)


def _pattern_striped(xx, yy, cx, cy, px, py, orientation):
    # 2 px on, 2 px off; horizontal, vertical, diagonal or anti-diagonal
    coordinate = np.select(
        [orientation == 0, orientation == 1, orientation == 2], [yy + py, xx + px, xx + yy + px], xx - yy + px
    )
    return (coordinate // 2) % 2 == 0


def _pattern_checkered(xx, yy, cx, cy, px, py, orientation):
    return ((xx + px) // 2 + (yy + py) // 2) % 2 == 0


def _pattern_dotted(xx, yy, cx, cy, px, py, orientation):
    # fill colour with small off-colour dots on a 4-pixel lattice
    return ((xx + px) % 4 - 1.5) ** 2 + ((yy + py) % 4 - 1.5) ** 2 > 1.1


def _pattern_ringed(xx, yy, cx, cy, px, py, orientation):
    return np.floor(np.hypot(xx - cx, yy - cy) / 2) % 2 == 0


_PATTERNS = {
    "plain": _pattern_plain,
    "striped": _pattern_striped,
    "checkered": _pattern_checkered,
    "dotted": _pattern_dotted,
    "ringed": _pattern_ringed,
}


def _shape_mask(shape: np.ndarray, dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    """True inside each image's shape: `shape` (N,) indexes SHAPES; dx, dy (N, S, S); r (N, 1, 1)."""
    inside = np.empty(dx.shape, dtype=bool)
    for i, name in enumerate(SHAPES):
        sel = shape == i
        if not sel.any():
            continue
        x, y, radius = dx[sel], dy[sel], r[sel]
        if name == "circle":
            inside[sel] = x * x + y * y <= radius * radius
        elif name == "square":
            inside[sel] = np.maximum(abs(x), abs(y)) <= 0.85 * radius
        elif name == "diamond":
            inside[sel] = abs(x) + abs(y) <= 1.2 * radius
        else:  # triangle, apex up
            inside[sel] = (y <= 0.8 * radius) & (y >= -radius) & (abs(x) <= 0.65 * (y + radius))
    return inside


def _draw(
    img: np.ndarray,
    rng: np.random.Generator,
    world: ToyWorld,
    colors: np.ndarray,
    pattern_idx: np.ndarray,
    radius: tuple[float, float],
) -> None:
    """Draw one patterned shape per image, in place. `colors` (N, 3), `pattern_idx` (N,)."""
    n, size = img.shape[0], img.shape[1]
    r = rng.uniform(*radius, n) * size
    cx = rng.uniform(r, size - r)
    cy = rng.uniform(r, size - r)
    shape = rng.integers(len(SHAPES), size=n)
    px, py, orientation = (rng.integers(0, 4, size=n).astype(np.float32)[:, None, None] for _ in range(3))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + np.float32(0.5)
    bx = lambda v: v.astype(np.float32)[:, None, None]  # noqa: E731  (N,) -> (N, 1, 1)
    inside = _shape_mask(shape, xx - bx(cx), yy - bx(cy), bx(r))
    on = np.zeros_like(inside)
    for i, name in enumerate(world.patterns):
        sel = pattern_idx == i
        if sel.any():
            on[sel] = _PATTERNS[name](xx, yy, bx(cx[sel]), bx(cy[sel]), px[sel], py[sel], orientation[sel])
    fill = colors + rng.uniform(-world.color_jitter, world.color_jitter, (n, 3))
    off_base = np.where(rng.random(n) < 0.5, 235.0, 25.0)[:, None]
    off = off_base + rng.uniform(-world.color_jitter, world.color_jitter, (n, 3))
    np.copyto(img, fill[:, None, None, :], where=(inside & on)[..., None], casting="same_kind")
    np.copyto(img, off[:, None, None, :], where=(inside & ~on)[..., None], casting="same_kind")


def render(world: ToyWorld, labels: np.ndarray, rng: np.random.Generator, chunk: int = 256) -> np.ndarray:
    """Render one image per label: uint8 array (N, S, S, 3).

    Images are drawn `chunk` at a time (float32 working arrays that stay in cache), so
    rendering labels[:k] and labels[k:] with one generator equals rendering all of them
    whenever k is a multiple of `chunk`.
    """
    labels = np.asarray(labels, dtype=np.int64)
    size = world.image_size
    out = np.empty((len(labels), size, size, 3), dtype=np.uint8)
    for start in range(0, len(labels), chunk):
        out[start : start + chunk] = _render_chunk(world, labels[start : start + chunk], rng)
    return out


def _render_chunk(world: ToyWorld, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n, size = len(labels), world.image_size
    palette = np.array(list(world.colors.values()), dtype=float)  # (colours, 3)
    img = np.empty((n, size, size, 3), dtype=np.float32)
    img[:] = rng.uniform(40, 215, (n, 1, 1, 3))
    yy, xx = np.mgrid[0:size, 0:size]
    for _ in range(world.background_blobs):
        x0, y0 = rng.integers(0, size, (2, n, 1, 1))
        w, h = rng.integers(size // 6, size // 2, (2, n, 1, 1))
        blob = (xx >= x0) & (xx < x0 + w) & (yy >= y0) & (yy < y0 + h)
        color = rng.uniform(20, 235, (n, 3))
        np.copyto(img, color[:, None, None, :], where=blob[..., None], casting="same_kind")
    for _ in range(world.distractors):
        color_idx = rng.integers(len(palette), size=n)
        pattern_idx = rng.integers(len(world.patterns), size=n)
        _draw(img, rng, world, palette[color_idx], pattern_idx, world.distractor_radius)
    color_idx, pattern_idx = world.class_attributes(labels)
    _draw(img, rng, world, palette[color_idx], pattern_idx, world.object_radius)
    noise = rng.standard_normal(img.shape, dtype=np.float32)
    img += np.float32(world.noise) * noise
    return np.clip(np.rint(img, out=img), 0, 255, out=img).astype(np.uint8)


def write_raw_dataset(
    world: ToyWorld,
    root: str | os.PathLike,
    images_per_class: dict[str, int],
    chunk: int = 2048,
) -> None:
    """Write a class-balanced dataset as PNG files in the ImageNet folder layout.

    Layout: `root/<split>/<class_folder>/<split>_<label>_<index>.png` for every split in
    `images_per_class`, plus `root/classnames.txt` with `<class_folder> <class name>` per
    line in label order (the Places-LT class-name format). The folder appears complete or
    not at all.
    """
    folders = [name.replace(" ", "_") for name in world.class_names]
    rng = np.random.default_rng(world.seed)
    with files.atomic_dir(root) as tmp:
        for split, per_class in images_per_class.items():
            labels = np.repeat(np.arange(world.num_classes), per_class)
            index = np.tile(np.arange(per_class), world.num_classes)
            for folder in folders:
                (tmp / split / folder).mkdir(parents=True, exist_ok=True)
            for start in range(0, len(labels), chunk):
                batch = render(world, labels[start : start + chunk], rng)
                for img, label, i in zip(batch, labels[start:], index[start:], strict=False):
                    Image.fromarray(img).save(tmp / split / folders[label] / f"{split}_{label:03d}_{i:05d}.png")
        lines = [f"{folder} {name}" for folder, name in zip(folders, world.class_names, strict=True)]
        (tmp / "classnames.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
