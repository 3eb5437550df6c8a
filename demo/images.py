"""Deterministic artwork for the demo content, drawn with Pillow (no downloads, no fonts).

Every function takes a ``seed`` string and returns JPEG bytes; the same seed always gives the
same picture, so the demo looks identical on every machine. Shapes are drawn at twice the final
size and scaled down for smooth edges; glows are made from Pillow's radial gradient instead of
large blurs, which keeps a full set of images well under a second or two.
"""

import io
import math
import random

from PIL import Image, ImageDraw, ImageFilter

SUPERSAMPLE = 2

NIGHT = (30, 27, 75)
MIDNIGHT = (15, 12, 41)
INDIGO = (49, 46, 129)
VIOLET = (109, 40, 217)
PLUM = (76, 29, 149)
ORCHID = (192, 132, 252)
ROSE = (244, 114, 182)
GOLD = (245, 199, 107)
AMBER = (233, 185, 73)
TEAL = (94, 234, 212)
CREAM = (250, 247, 242)

# (top of background, bottom of background, aura colour, rim light colour)
PORTRAIT_PALETTES = [
    (MIDNIGHT, PLUM, GOLD, GOLD),
    (NIGHT, VIOLET, ORCHID, GOLD),
    ((24, 20, 60), (91, 33, 182), ROSE, ORCHID),
    (MIDNIGHT, INDIGO, TEAL, GOLD),
    ((36, 18, 70), (134, 25, 143), GOLD, ROSE),
    (NIGHT, (67, 56, 202), GOLD, ORCHID),
]

PRODUCT_PALETTES = [
    (MIDNIGHT, PLUM, GOLD),
    (NIGHT, VIOLET, ORCHID),
    ((24, 20, 60), INDIGO, TEAL),
    ((36, 18, 70), (134, 25, 143), GOLD),
    (NIGHT, (67, 56, 202), ROSE),
]


def _rng(seed):
    return random.Random(f"soulseer-demo:{seed}")  # noqa: S311 - artwork, not security


def _mix(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _background(size, top, bottom):
    """A vertical gradient from ``top`` to ``bottom``."""
    mask = Image.linear_gradient("L").resize(size, Image.Resampling.BICUBIC)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _glow(canvas, centre, radius, colour, strength=1.0):
    """Add a soft radial light to ``canvas`` (RGBA), brightest at ``centre``, zero at ``radius``."""
    diameter = max(2, int(radius * 2))
    # Pillow's radial gradient reads 181 at the middle of each edge (255 only in the corners).
    lut = [int((1 - min(1.0, v / 181)) ** 2 * 255 * strength) for v in range(256)]
    alpha = (
        Image.radial_gradient("L").point(lut).resize((diameter, diameter), Image.Resampling.BICUBIC)
    )
    light = Image.new("RGBA", (diameter, diameter), colour + (0,))
    light.putalpha(alpha)
    x, y = int(centre[0] - radius), int(centre[1] - radius)
    left, top = max(0, x), max(0, y)
    right, bottom = min(canvas.width, x + diameter), min(canvas.height, y + diameter)
    if right > left and bottom > top:
        canvas.alpha_composite(
            light, dest=(left, top), source=(left - x, top - y, right - x, bottom - y)
        )


def _stars(draw, rng, size, count, colour, scale=SUPERSAMPLE, area=None):
    """Scatter small stars; a few of them get a four-point sparkle."""
    x0, y0, x1, y1 = area or (0, 0, size[0], size[1])
    for index in range(count):
        x = rng.uniform(x0, x1) * scale
        y = rng.uniform(y0, y1) * scale
        alpha = rng.randint(70, 220)
        r = rng.uniform(0.8, 2.2) * scale
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour + (alpha,))
        if index % 9 == 0:
            arm = rng.uniform(7, 13) * scale
            width = max(1, int(0.9 * scale))
            draw.line((x - arm, y, x + arm, y), fill=colour + (alpha // 2,), width=width)
            draw.line((x, y - arm, x, y + arm), fill=colour + (alpha // 2,), width=width)


def _sparkle(draw, centre, radius, colour):
    """A four-pointed star (the SoulSeer 'spark')."""
    cx, cy = centre
    waist = radius * 0.22
    points = []
    for i in range(8):
        angle = math.pi / 4 * i - math.pi / 2
        r = radius if i % 2 == 0 else waist
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=colour)


def _layer(size):
    big = (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE)
    layer = Image.new("RGBA", big, (0, 0, 0, 0))
    return layer, ImageDraw.Draw(layer)


def _flatten(canvas, layer):
    canvas.alpha_composite(layer.reduce(SUPERSAMPLE))


def _to_jpeg(canvas):
    buffer = io.BytesIO()
    # Wagtail re-encodes renditions, so the original needs no optimize/progressive passes.
    canvas.convert("RGB").save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


HAIR_STYLES = ("short", "long", "bun", "wrap", "curls")


def _silhouette_mask(size, rng, style=None):
    """Head, neck and shoulders with one of a few hair shapes, as an 'L' mask at 2x."""
    s = SUPERSAMPLE
    w, h = size
    mask = Image.new("L", (w * s, h * s), 0)
    draw = ImageDraw.Draw(mask)
    cx = w / 2 + rng.uniform(-18, 18)
    head_cy = h * 0.42
    head_rx, head_ry = w * 0.118, w * 0.145
    picked = rng.choice(HAIR_STYLES)
    style = style or picked

    if style == "long":
        draw.ellipse(
            (
                (cx - head_rx * 1.22) * s,
                (head_cy - head_ry * 1.12) * s,
                (cx + head_rx * 1.22) * s,
                (head_cy + head_ry * 0.9) * s,
            ),
            fill=255,
        )
        draw.polygon(
            [
                ((cx - head_rx * 1.2) * s, head_cy * s),
                ((cx - head_rx * 1.65) * s, (head_cy + head_ry * 2.2) * s),
                ((cx + head_rx * 1.65) * s, (head_cy + head_ry * 2.2) * s),
                ((cx + head_rx * 1.2) * s, head_cy * s),
            ],
            fill=255,
        )
    elif style == "bun":
        r = head_rx * 0.55
        by = head_cy - head_ry * 1.05
        draw.ellipse(((cx - r) * s, (by - r) * s, (cx + r) * s, (by + r) * s), fill=255)
    elif style == "wrap":
        draw.ellipse(
            (
                (cx - head_rx * 1.2) * s,
                (head_cy - head_ry * 1.45) * s,
                (cx + head_rx * 1.2) * s,
                (head_cy + head_ry * 0.4) * s,
            ),
            fill=255,
        )
    elif style == "curls":
        for i in range(9):
            angle = math.pi + math.pi * i / 8
            r = head_rx * 0.42
            x = cx + math.cos(angle) * head_rx * 1.0
            y = head_cy - head_ry * 0.15 + math.sin(angle) * head_ry * 0.95
            draw.ellipse(((x - r) * s, (y - r) * s, (x + r) * s, (y + r) * s), fill=255)
    else:  # short
        draw.ellipse(
            (
                (cx - head_rx * 1.08) * s,
                (head_cy - head_ry * 1.12) * s,
                (cx + head_rx * 1.08) * s,
                (head_cy + head_ry * 0.5) * s,
            ),
            fill=255,
        )

    # Head and neck.
    draw.ellipse(
        (
            (cx - head_rx) * s,
            (head_cy - head_ry) * s,
            (cx + head_rx) * s,
            (head_cy + head_ry) * s,
        ),
        fill=255,
    )
    neck_w = head_rx * 0.5
    shoulder_top = head_cy + head_ry * 1.55
    draw.polygon(
        [
            ((cx - neck_w) * s, head_cy * s),
            ((cx + neck_w) * s, head_cy * s),
            ((cx + neck_w * 1.5) * s, (shoulder_top + 10) * s),
            ((cx - neck_w * 1.5) * s, (shoulder_top + 10) * s),
        ],
        fill=255,
    )
    # Shoulders: a wide, softly rounded block running off the bottom edge.
    shoulder_half = w * rng.uniform(0.36, 0.41)
    draw.rounded_rectangle(
        (
            (cx - shoulder_half) * s,
            shoulder_top * s,
            (cx + shoulder_half) * s,
            (h + w * 0.2) * s,
        ),
        radius=w * 0.19 * s,
        fill=255,
    )
    return mask, (cx, head_cy)


def reader_portrait(seed, size=800, hair=None):
    """A stylised portrait: gradient night sky, aura rings, a softly rim-lit silhouette."""
    rng = _rng(seed)
    dims = (size, size)
    top, bottom, aura, rim = PORTRAIT_PALETTES[rng.randrange(len(PORTRAIT_PALETTES))]
    canvas = _background(dims, top, bottom).convert("RGBA")

    mask, (cx, head_cy) = _silhouette_mask(dims, rng, style=hair)

    # Aura: a broad glow behind the head and a few thin concentric rings.
    _glow(canvas, (cx, head_cy), size * 0.46, aura, strength=0.55)
    _glow(canvas, (cx, head_cy), size * 0.24, _mix(aura, CREAM, 0.4), strength=0.5)
    layer, draw = _layer(dims)
    _stars(draw, rng, dims, 55, CREAM)
    s = SUPERSAMPLE
    for ring in range(4):
        r = size * (0.2 + 0.075 * ring + rng.uniform(-0.01, 0.01))
        alpha = 90 - ring * 18
        draw.ellipse(
            ((cx - r) * s, (head_cy - r) * s, (cx + r) * s, (head_cy + r) * s),
            outline=aura + (alpha,),
            width=int(2 * s),
        )
    _flatten(canvas, layer)

    # Rim light: the silhouette blurred in the rim colour, peeking out around the edges.
    small = mask.resize((size // 4, size // 4), Image.Resampling.BILINEAR)
    halo = small.filter(ImageFilter.GaussianBlur(3)).resize(dims, Image.Resampling.BICUBIC)
    rim_layer = Image.new("RGBA", dims, rim + (0,))
    rim_layer.putalpha(halo.point(lambda v: int(v * 0.85)))
    canvas.alpha_composite(rim_layer)

    # The figure itself: dark, with a faint vertical gradient so it is not a flat cut-out.
    figure = _background(dims, _mix(MIDNIGHT, top, 0.3), _mix(MIDNIGHT, bottom, 0.25))
    figure = figure.convert("RGBA")
    figure.putalpha(mask.reduce(SUPERSAMPLE))
    canvas.alpha_composite(figure)

    # A small gold spark at the brow, the brand mark, drawn on a small 2x patch.
    radius = size * 0.018
    patch_size = int(radius * 2) + 2
    patch = Image.new("RGBA", (patch_size * s, patch_size * s), (0, 0, 0, 0))
    _sparkle(ImageDraw.Draw(patch), (patch_size * s / 2,) * 2, radius * s, GOLD + (150,))
    canvas.alpha_composite(
        patch.reduce(s),
        (int(cx - patch_size / 2), int(head_cy - size * 0.005 - patch_size / 2)),
    )
    return _to_jpeg(canvas)


def hero_image(seed="hero", size=(1600, 900)):
    """A wide night sky with a crescent moon and a soft golden horizon."""
    rng = _rng(seed)
    w, h = size
    canvas = _background(size, MIDNIGHT, PLUM).convert("RGBA")
    _glow(canvas, (w * 0.5, h * 1.05), w * 0.55, GOLD, strength=0.35)
    _glow(canvas, (w * 0.6, h * 0.32), h * 0.45, ORCHID, strength=0.35)

    layer, draw = _layer(size)
    s = SUPERSAMPLE
    _stars(draw, rng, size, 220, CREAM)
    # Near enough to the centre to survive a square crop of the 16:9 original.
    mx, my, mr = w * 0.6, h * 0.32, h * 0.13
    for ring in range(5):
        r = mr * (1.6 + ring * 0.55)
        draw.ellipse(
            ((mx - r) * s, (my - r) * s, (mx + r) * s, (my + r) * s),
            outline=GOLD + (70 - ring * 12,),
            width=int(2 * s),
        )
    _flatten(canvas, layer)
    _glow(canvas, (mx, my), mr * 2.2, GOLD, strength=0.45)

    # Crescent: a full disc with a background-coloured disc cut out of it.
    moon = Image.new("L", (w * s, h * s), 0)
    moon_draw = ImageDraw.Draw(moon)
    moon_draw.ellipse(((mx - mr) * s, (my - mr) * s, (mx + mr) * s, (my + mr) * s), fill=255)
    ox, oy = mx + mr * 0.45, my - mr * 0.2
    moon_draw.ellipse(((ox - mr) * s, (oy - mr) * s, (ox + mr) * s, (oy + mr) * s), fill=0)
    moon_layer = Image.new("RGBA", size, _mix(GOLD, CREAM, 0.35) + (0,))
    moon_layer.putalpha(moon.reduce(SUPERSAMPLE))
    canvas.alpha_composite(moon_layer)

    # Rolling hills in front, darkest at the bottom.
    layer, draw = _layer(size)
    for depth, (base, colour) in enumerate([(0.8, _mix(MIDNIGHT, PLUM, 0.45)), (0.88, MIDNIGHT)]):
        points = [(0, h * s)]
        phase = rng.uniform(0, math.tau)
        for step in range(0, 41):
            x = w * step / 40
            y = h * base + math.sin(step / 40 * math.tau * (1.2 + depth * 0.6) + phase) * h * 0.035
            points.append((x * s, y * s))
        points.append((w * s, h * s))
        draw.polygon(points, fill=colour + (255,))
    _flatten(canvas, layer)
    return _to_jpeg(canvas)


# --- product motifs -----------------------------------------------------------------------------


def _motif_cards(layer, draw, rng, c, u, accent):
    for i, angle in enumerate((-16, 0, 16)):
        card = Image.new("RGBA", (int(u * 2.4), int(u * 4)), (0, 0, 0, 0))
        cd = ImageDraw.Draw(card)
        cw, ch = card.size
        cd.rounded_rectangle((0, 0, cw - 1, ch - 1), radius=u * 0.22, fill=NIGHT + (255,))
        cd.rounded_rectangle(
            (u * 0.14, u * 0.14, cw - u * 0.14, ch - u * 0.14),
            radius=u * 0.14,
            outline=accent + (255,),
            width=max(2, int(u * 0.05)),
        )
        _sparkle(cd, (cw / 2, ch / 2), u * (0.55 if i == 1 else 0.4), accent + (255,))
        cd.ellipse(
            (cw / 2 - u * 0.75, ch / 2 - u * 0.75, cw / 2 + u * 0.75, ch / 2 + u * 0.75),
            outline=accent + (160,),
            width=max(1, int(u * 0.03)),
        )
        rotated = card.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
        dx = (i - 1) * u * 1.55
        dy = abs(i - 1) * u * 0.35
        x = int(c[0] + dx - rotated.width / 2)
        y = int(c[1] + dy - rotated.height / 2)
        layer.alpha_composite(rotated, (x, y))


def _motif_crystals(layer, draw, rng, c, u, accent):
    specs = [(-1.7, 2.6, 0.9), (0, 4.0, 1.2), (1.6, 3.0, 0.95), (0.85, 1.8, 0.7), (-0.9, 1.6, 0.6)]
    for dx, height, width in specs:
        x = c[0] + dx * u
        base = c[1] + u * 2.0
        top = base - height * u
        tint = _mix(accent, (255, 255, 255), rng.uniform(0, 0.35))
        body = [
            (x - width * u / 2, base),
            (x - width * u / 2, top + u * 0.6),
            (x, top),
            (x + width * u / 2, top + u * 0.6),
            (x + width * u / 2, base),
        ]
        draw.polygon(body, fill=tint + (190,))
        draw.polygon(
            [(x, top), (x + width * u / 2, top + u * 0.6), (x + width * u / 2, base), (x, base)],
            fill=_mix(tint, NIGHT, 0.35) + (200,),
        )
        draw.line([(x, top), (x, base)], fill=(255, 255, 255, 110), width=max(1, int(u * 0.03)))
    draw.ellipse(
        (c[0] - u * 3, c[1] + u * 1.8, c[0] + u * 3, c[1] + u * 2.3), fill=MIDNIGHT + (140,)
    )


def _motif_candles(layer, draw, rng, c, u, accent):
    for dx, height in ((-1.5, 2.2), (0, 3.2), (1.5, 2.6)):
        x = c[0] + dx * u
        base = c[1] + u * 2.2
        top = base - height * u
        draw.rounded_rectangle(
            (x - u * 0.55, top, x + u * 0.55, base), radius=u * 0.12, fill=CREAM + (240,)
        )
        draw.rectangle((x + u * 0.2, top + u * 0.1, x + u * 0.55, base), fill=(220, 210, 200, 255))
        draw.line([(x, top), (x, top - u * 0.25)], fill=NIGHT + (255,), width=max(1, int(u * 0.05)))
        flame = top - u * 0.6
        draw.ellipse(
            (x - u * 0.45, flame - u * 0.6, x + u * 0.45, flame + u * 0.45), fill=accent + (60,)
        )
        draw.ellipse(
            (x - u * 0.17, flame - u * 0.35, x + u * 0.17, flame + u * 0.3), fill=GOLD + (255,)
        )
        draw.ellipse(
            (x - u * 0.07, flame - u * 0.05, x + u * 0.07, flame + u * 0.22), fill=CREAM + (255,)
        )


def _motif_waves(layer, draw, rng, c, u, accent):
    for ring in range(1, 6):
        r = u * 0.75 * ring
        draw.arc(
            (c[0] - r, c[1] - r, c[0] + r, c[1] + r),
            start=-50,
            end=50,
            fill=accent + (230 - ring * 35,),
            width=max(2, int(u * 0.12)),
        )
        draw.arc(
            (c[0] - r, c[1] - r, c[0] + r, c[1] + r),
            start=130,
            end=230,
            fill=accent + (230 - ring * 35,),
            width=max(2, int(u * 0.12)),
        )
    draw.ellipse(
        (c[0] - u * 0.45, c[1] - u * 0.45, c[0] + u * 0.45, c[1] + u * 0.45), fill=GOLD + (255,)
    )


def _motif_book(layer, draw, rng, c, u, accent):
    x, y = c
    left = [(x, y - u * 1.6), (x - u * 3, y - u * 2.0), (x - u * 3, y + u * 1.8), (x, y + u * 2.2)]
    right = [(x, y - u * 1.6), (x + u * 3, y - u * 2.0), (x + u * 3, y + u * 1.8), (x, y + u * 2.2)]
    draw.polygon(left, fill=CREAM + (245,))
    draw.polygon(right, fill=(236, 230, 222, 245))
    for line in range(6):
        ly = y - u * 1.2 + line * u * 0.5
        draw.line(
            [(x - u * 2.6, ly - u * 0.12), (x - u * 0.4, ly + u * 0.1)],
            fill=INDIGO + (90,),
            width=max(1, int(u * 0.06)),
        )
    _sparkle(draw, (x + u * 1.5, y + u * 0.1), u * 0.9, accent + (255,))
    draw.line(
        [(x, y - u * 1.6), (x, y + u * 2.2)], fill=NIGHT + (120,), width=max(1, int(u * 0.05))
    )


def _motif_wheel(layer, draw, rng, c, u, accent):
    x, y = c
    width = max(2, int(u * 0.06))
    for r in (u * 3.2, u * 2.5, u * 1.2):
        draw.ellipse((x - r, y - r, x + r, y + r), outline=accent + (220,), width=width)
    for i in range(12):
        a = math.tau * i / 12
        draw.line(
            [
                (x + math.cos(a) * u * 1.2, y + math.sin(a) * u * 1.2),
                (x + math.cos(a) * u * 3.2, y + math.sin(a) * u * 3.2),
            ],
            fill=accent + (150,),
            width=width,
        )
    for _ in range(7):
        a = rng.uniform(0, math.tau)
        r = rng.uniform(1.5, 2.25) * u
        px, py = x + math.cos(a) * r, y + math.sin(a) * r
        pr = u * rng.uniform(0.12, 0.2)
        draw.ellipse((px - pr, py - pr, px + pr, py + pr), fill=GOLD + (255,))
    _sparkle(draw, (x, y), u * 0.7, GOLD + (255,))


def _motif_moons(layer, draw, rng, c, u, accent):
    # Waxing to full to waning; each phase is a disc minus a shifted disc, cut in its own mask.
    phases = [0.25, 0.55, 0.8, 1.0, 0.8, 0.55, 0.25]
    r = u * 0.6
    box = int(r * 2) + 2
    for i, lit in enumerate(phases):
        x = c[0] + (i - 3) * u * 1.5
        y = c[1] + (abs(i - 3) ** 1.6) * u * 0.22
        mask = Image.new("L", (box, box), 0)
        mask_draw = ImageDraw.Draw(mask)
        mask_draw.ellipse((1, 1, box - 2, box - 2), fill=255)
        if lit < 1.0:
            shift = r * 2 * lit * (1 if i < 3 else -1)
            mask_draw.ellipse((1 + shift, 1, box - 2 + shift, box - 2), fill=0)
        moon = Image.new("RGBA", (box, box), _mix(GOLD, CREAM, 0.3) + (255,))
        moon.putalpha(mask)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=MIDNIGHT + (90,))
        layer.alpha_composite(moon, (int(x - box / 2), int(y - box / 2)))
        draw.ellipse((x - r, y - r, x + r, y + r), outline=accent + (140,), width=int(u * 0.04))


def _motif_pendulum(layer, draw, rng, c, u, accent):
    x, y = c
    top = (x - u * 0.6, y - u * 3.2)
    tip = (x + u * 0.3, y + u * 1.2)
    draw.line([top, (tip[0], tip[1] - u * 1.4)], fill=GOLD + (230,), width=max(1, int(u * 0.05)))
    draw.ellipse(
        (top[0] - u * 0.2, top[1] - u * 0.2, top[0] + u * 0.2, top[1] + u * 0.2),
        outline=GOLD + (255,),
        width=max(1, int(u * 0.05)),
    )
    bx, by = tip[0], tip[1] - u * 1.4
    gem = [
        (bx, by),
        (bx + u * 0.55, by + u * 0.55),
        (tip[0], tip[1] + u * 0.3),
        (bx - u * 0.55, by + u * 0.55),
    ]
    draw.polygon(gem, fill=accent + (235,))
    draw.polygon(
        [(bx, by), (bx + u * 0.55, by + u * 0.55), (tip[0], tip[1] + u * 0.3)],
        fill=_mix(accent, NIGHT, 0.3) + (235,),
    )
    for r in (u * 2.2, u * 3.0):
        draw.arc(
            (x - r, y + u * 0.4 - r * 0.35, x + r, y + u * 0.4 + r * 0.35),
            start=200,
            end=340,
            fill=accent + (90,),
            width=max(1, int(u * 0.04)),
        )


def _motif_spark(layer, draw, rng, c, u, accent):
    _sparkle(draw, c, u * 2.4, GOLD + (255,))
    for dx, dy, r in ((-2.4, -1.6, 0.8), (2.3, 1.5, 0.6), (2.0, -2.0, 0.45)):
        _sparkle(draw, (c[0] + dx * u, c[1] + dy * u), u * r, accent + (230,))


MOTIFS = {
    "cards": _motif_cards,
    "crystals": _motif_crystals,
    "candles": _motif_candles,
    "waves": _motif_waves,
    "book": _motif_book,
    "wheel": _motif_wheel,
    "moons": _motif_moons,
    "pendulum": _motif_pendulum,
    "spark": _motif_spark,
}


def motif_image(seed, motif, size=(800, 800)):
    """A product or promo picture: a gradient backdrop with a lit stage and a centred motif."""
    rng = _rng(seed)
    w, h = size
    top, bottom, accent = PRODUCT_PALETTES[rng.randrange(len(PRODUCT_PALETTES))]
    canvas = _background(size, top, bottom).convert("RGBA")
    _glow(canvas, (w / 2, h * 0.5), min(w, h) * 0.5, accent, strength=0.4)
    _glow(canvas, (w / 2, h * 0.9), w * 0.45, GOLD, strength=0.18)

    layer, draw = _layer(size)
    _stars(draw, rng, size, 40, CREAM)
    s = SUPERSAMPLE
    unit = min(w, h) * 0.085 * s
    centre = (w / 2 * s, h * 0.5 * s)
    MOTIFS[motif](layer, draw, rng, centre, unit, accent)
    _flatten(canvas, layer)
    return _to_jpeg(canvas)
