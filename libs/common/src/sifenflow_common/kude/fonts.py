"""The KuDE's own font: DejaVu Sans Condensed cut down once per process to the characters invoices use.

Subsetting the full DejaVu (6 000 glyphs, large layout tables) for every PDF cost ~0.3 s per font
with fontTools. We subset the system font once (Latin, Latin Extended, Guaraní letters, ₲ and
common punctuation: a ~35 KB font) into a cache directory. Each PDF then embeds the glyphs it uses,
subset by HarfBuzz in about 1 ms; where weasyprint has no HarfBuzz subsetting, the renderer embeds
the cut font whole (``full_fonts``) rather than let fontTools subset it again on every PDF.
Characters outside that set fall back to the system fonts through fontconfig as usual.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FAMILY = "KudeSans"
CUT_VERSION = 3  # bump when the subsetting options change, so cached cuts are rebuilt
SOURCE_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
SOURCES = {"normal": "DejaVuSansCondensed.ttf", "bold": "DejaVuSansCondensed-Bold.ttf"}

# What Paraguayan invoices print: Basic Latin, Latin-1 (á é í ó ú ñ ü ° º ª), the Guaraní letters
# (ã ẽ ĩ õ ũ ỹ g̃ and capitals), ₲ € and common punctuation. Kept small on purpose: the whole font
# is embedded in every PDF (and its cmap walked by weasyprint), so each glyph costs time.
COVERAGE: frozenset[int] = frozenset(
    [
        *range(0x20, 0x7F),
        *range(0xA0, 0x100),
        *(0x128, 0x129, 0x168, 0x169, 0x1EBC, 0x1EBD, 0x1EF8, 0x1EF9, 0x303),
        *(0x152, 0x153, 0x160, 0x161, 0x178, 0x17D, 0x17E, 0x2013, 0x2014, 0x2018, 0x2019, 0x201A),
        *(0x201C, 0x201D, 0x201E, 0x2022, 0x2026, 0x2030, 0x20AC, 0x20B2, 0x2116, 0x2122),
    ]
)


@dataclass(frozen=True, slots=True)
class KudeFonts:
    """Paths of the cut-down fonts, or none when the source font is not installed."""

    normal: Path | None
    bold: Path | None

    def css(self) -> str:
        rules = []
        for weight, path in (("normal", self.normal), ("bold", self.bold)):
            if path is not None:
                rules.append(
                    f"@font-face {{ font-family: {FAMILY}; font-weight: {weight}; "
                    f"src: url('{path.as_uri()}'); }}"
                )
        return "\n".join(rules)

    @property
    def available(self) -> bool:
        return self.normal is not None


def _find_source(name: str) -> Path | None:
    extra = os.environ.get("KUDE_FONT_DIR")
    for directory in ((Path(extra),) if extra else ()) + SOURCE_DIRS:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or tempfile.gettempdir()
    directory = Path(base) / f"sifenflow-kude-fonts-{os.getuid() if hasattr(os, 'getuid') else 0}"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _cut(source: Path) -> Path:
    recipe = f"{CUT_VERSION}:{sorted(COVERAGE)}".encode()
    digest = hashlib.sha256(source.read_bytes() + recipe).hexdigest()[:16]
    target = _cache_dir() / f"{source.stem}-kude-{digest}.ttf"
    if target.is_file():
        return target
    options = subset.Options()
    options.hinting = False
    options.notdef_outline = True
    options.glyph_names = True  # a named post table: weasyprint reads the glyph order without a cmap walk
    options.drop_tables += ["FFTM"]
    options.layout_features = ["kern", "mark", "mkmk", "ccmp"]  # kerning and the combining tilde
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(COVERAGE))
    subsetter.subset(font)
    # write then rename: concurrent workers never read a half-written file
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    font.save(tmp)
    tmp.replace(target)
    return target


@cache
def kude_fonts() -> KudeFonts:
    paths: dict[str, Path | None] = {}
    for weight, name in SOURCES.items():
        source = _find_source(name)
        paths[weight] = _cut(source) if source else None
    return KudeFonts(normal=paths["normal"], bold=paths["bold"])


def harfbuzz_subsetting() -> bool:
    """True when weasyprint subsets fonts with HarfBuzz (Debian libharfbuzz-subset0): about 1 ms for
    our cut font, against tens of milliseconds with its fontTools fallback."""
    from weasyprint.text import ffi

    return getattr(ffi, "harfbuzz_subset", None) is not None


def covered(text: str) -> bool:
    """True when every character of ``text`` is in the cut-down font."""
    return all(ord(ch) in COVERAGE or ch in "\n\t\r" for ch in set(text))
