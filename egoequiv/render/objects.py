"""Object models for ``rendered-objects``: NORB-like categories of toy-like figures.

Each category is a builder ``f(rng) -> list[Part]`` in metres (x forward, y left, z up);
an instance is the builder run with its own seeded RNG, which draws proportions and
discrete parts (body styles, wheel axles, engines, poses), so instances of a category differ
in shape while sharing the category's structure. Models are normalised to a unit sphere.
"""

from __future__ import annotations

import math

import numpy as np

from egoequiv.render.parts import Part, box, ellipsoid, normalise, segment, shade, sphere

DARK = (0.12, 0.12, 0.13)


def _colour(rng: np.random.Generator) -> tuple[float, float, float]:
    return tuple(float(c) for c in rng.uniform(0.35, 0.9, 3))


def _wheels(xs, half_track, r, width, out: list[Part]) -> None:
    for x in xs:
        for side in (-1, 1):
            y = side * half_track
            out.append(segment((x, y - width / 2, r), (x, y + width / 2, r), r, DARK,
                               "cylinder"))


def animal(rng: np.random.Generator) -> list[Part]:
    """A quadruped: ellipsoid body, four legs, neck and head, tail (dog .. giraffe)."""
    c = _colour(rng)
    body_len = rng.uniform(0.8, 1.6)
    body_r = body_len * rng.uniform(0.18, 0.32)
    leg_len = body_len * rng.uniform(0.35, 1.3)
    leg_r = body_r * rng.uniform(0.18, 0.45)
    z = leg_len + body_r * 0.6
    parts = [ellipsoid((body_len / 2, body_r * rng.uniform(0.8, 1.0), body_r), (0, 0, z), c)]
    stride = rng.uniform(-0.25, 0.25)
    for fx, sgn in ((0.36, 1), (-0.36, -1)):
        for side in (-1, 1):
            top = (fx * body_len, side * body_r * 0.55, z - body_r * 0.4)
            foot = (top[0] + sgn * side * stride * leg_len, top[1], 0.0)
            parts.append(segment(top, foot, leg_r, shade(c, 0.85)))
    neck_len = body_len * rng.uniform(0.2, 1.1)
    neck_angle = math.radians(rng.uniform(15, 80))
    n0 = np.array([body_len * 0.42, 0, z + body_r * 0.3])
    n1 = n0 + neck_len * np.array([math.cos(neck_angle), 0, math.sin(neck_angle)])
    parts.append(segment(n0, n1, body_r * rng.uniform(0.3, 0.55), c))
    head = body_r * rng.uniform(0.45, 0.8)
    snout = rng.uniform(1.0, 2.0)
    parts.append(ellipsoid((head * snout, head * 0.8, head * 0.8), n1 + (head * 0.5, 0, 0), c,
                           pitch=math.radians(rng.uniform(-10, 40))))
    for side in (-1, 1):  # ears or horns
        ear = n1 + (0, side * head * 0.5, head * 0.7)
        parts.append(segment(ear, ear + (-head * 0.2, side * head * 0.2, head *
                                         rng.uniform(0.4, 1.2)), head * 0.15, shade(c, 0.7)))
    tail_len = body_len * rng.uniform(0.1, 0.7)
    t0 = np.array([-body_len * 0.48, 0, z + body_r * 0.2])
    tail_angle = math.radians(rng.uniform(-70, 40))
    parts.append(segment(t0, t0 + tail_len * np.array([-math.cos(tail_angle), 0,
                                                        math.sin(tail_angle)]),
                         body_r * rng.uniform(0.06, 0.2), shade(c, 0.8)))
    return parts


def human(rng: np.random.Generator) -> list[Part]:
    """A standing figure: head, torso, arms in a random pose, legs; optional dress or hat."""
    skin, top, legs = (0.85, 0.7, 0.6), _colour(rng), _colour(rng)
    h = rng.uniform(1.5, 1.95)
    leg, torso = 0.47 * h, 0.3 * h
    hip_w, sh_w = 0.09 * h * rng.uniform(0.8, 1.2), 0.13 * h * rng.uniform(0.8, 1.25)
    girth = 0.06 * h * rng.uniform(0.8, 1.5)
    stride = rng.uniform(0, 0.25) * leg
    parts = []
    for side, sx in ((-1, stride), (1, -stride)):
        parts.append(segment((0, side * hip_w, leg), (sx, side * hip_w, girth * 0.4),
                             girth * 0.55, legs))
    if rng.random() < 0.35:  # a dress: a wide box flaring over the upper legs
        parts.append(box((girth * 1.6, hip_w * 1.8, leg * 0.3), (0, 0, leg * 0.75), top))
    parts.append(box((girth * 1.2, sh_w, torso / 2), (0, 0, leg + torso / 2), top))
    r_head = 0.065 * h * rng.uniform(0.9, 1.2)
    neck_top = leg + torso + 0.03 * h
    parts.append(sphere(r_head, (0, 0, neck_top + r_head), skin))
    if rng.random() < 0.4:  # a hat
        parts.append(segment((0, 0, neck_top + 1.7 * r_head), (0, 0, neck_top + 2.4 * r_head),
                             r_head * rng.uniform(1.0, 1.6), _colour(rng), "cylinder"))
    arm = 0.38 * h
    for side in (-1, 1):
        lift = math.radians(rng.uniform(5, 170))  # from hanging down to raised overhead
        swing = math.radians(rng.uniform(-60, 60))
        shoulder = np.array([0, side * (sh_w + girth * 0.3), leg + torso * 0.95])
        d = np.array([math.sin(lift) * math.cos(swing) * 0.6, side * math.sin(lift) * 0.8,
                      -math.cos(lift)])
        parts.append(segment(shoulder, shoulder + arm * d / np.linalg.norm(d), girth * 0.4,
                             top))
    if rng.random() < 0.3:  # a backpack
        parts.append(box((girth * 0.8, sh_w * 0.7, torso * 0.3),
                         (-girth * 2.0, 0, leg + torso * 0.6), _colour(rng)))
    return parts


def airplane(rng: np.random.Generator) -> list[Part]:
    """Fuselage, swept wings at low/mid/high position, tail fin and stabilisers, engines."""
    c = _colour(rng)
    length = rng.uniform(8, 14)
    r = length * rng.uniform(0.04, 0.07)
    parts = [segment((-length / 2, 0, 0), (length / 2, 0, 0), r, c)]
    span = length * rng.uniform(0.7, 1.3) / 2
    chord = length * rng.uniform(0.1, 0.18)
    sweep = math.radians(rng.uniform(-5, 35))
    wing_z = r * rng.choice([-0.7, 0.0, 0.8])
    wing_x = length * rng.uniform(-0.05, 0.15)
    for side in (-1, 1):
        cx = wing_x - math.tan(sweep) * span / 2
        parts.append(box((chord / 2, span / 2, r * 0.12), (cx, side * span / 2, wing_z), c,
                         yaw=-side * sweep, roll=side * math.radians(rng.uniform(0, 6))))
    fin_h = length * rng.uniform(0.12, 0.22)
    tail_x = -length / 2 + chord * 0.4
    parts.append(box((chord * 0.45, r * 0.1, fin_h / 2), (tail_x, 0, r * 0.6 + fin_h / 2), c,
                     pitch=math.radians(-20)))
    t_tail = rng.random() < 0.3
    stab_z = r * 0.6 + fin_h * 0.95 if t_tail else 0.0
    stab = span * rng.uniform(0.25, 0.4)
    for side in (-1, 1):
        parts.append(box((chord * 0.3, stab / 2, r * 0.1), (tail_x, side * stab / 2, stab_z),
                         c, yaw=side * sweep * 0.8))
    engines = int(rng.choice([0, 2, 4]))
    if engines == 0:  # a propeller plane: a nose spinner and blades
        nose = length / 2 + r
        parts.append(box((r * 0.05, r * 2.5, r * 0.2), (nose, 0, 0), DARK,
                         roll=rng.uniform(0, math.pi)))
    for k in range(engines // 2):
        y = span * (0.35 + 0.3 * k)
        for side in (-1, 1):
            ex = wing_x - math.tan(sweep) * y + chord * 0.3
            parts.append(segment((ex - chord * 0.5, side * y, wing_z - r * 0.8),
                                 (ex + chord * 0.5, side * y, wing_z - r * 0.8), r * 0.45,
                                 shade(c, 0.7), "cylinder"))
    return parts


def truck(rng: np.random.Generator) -> list[Part]:
    """A cab and a long load (box van, tanker, flatbed with crates, dump body), 2-4 axles."""
    c, load_c = _colour(rng), _colour(rng)
    w = rng.uniform(1.1, 1.3)  # half width
    r = rng.uniform(0.45, 0.55)
    cab_len, cab_h = rng.uniform(1.8, 2.6), rng.uniform(2.2, 3.0)
    load_len = rng.uniform(4.5, 8.0)
    floor = r * 2 + 0.1
    front = (cab_len + load_len) / 2
    cab_x = front - cab_len / 2
    parts = [box((cab_len / 2, w, cab_h / 2 - r * 0.6), (cab_x, 0, r * 1.2 + cab_h / 2), c),
             box(((cab_len + load_len) / 2, w * 0.8, 0.15), (0, 0, floor - 0.15), DARK)]
    if rng.random() < 0.5:  # a long bonnet in front of the cab
        parts.append(box((0.6, w * 0.9, 0.5), (front + 0.5, 0, r + 0.8), c))
    lx = front - cab_len - 0.2 - load_len / 2
    style = rng.choice(["van", "tanker", "flatbed", "dump"])
    load_h = rng.uniform(2.0, 3.2)
    if style == "van":
        parts.append(box((load_len / 2, w, load_h / 2), (lx, 0, floor + load_h / 2), load_c))
    elif style == "tanker":
        tr = w * rng.uniform(0.85, 1.0)
        parts.append(segment((lx - load_len / 2 + tr, 0, floor + tr),
                             (lx + load_len / 2 - tr, 0, floor + tr), tr, load_c))
    elif style == "flatbed":
        for k in range(int(rng.integers(1, 4))):
            s = rng.uniform(0.5, 1.0)
            parts.append(box((load_len / 8 * s * 1.5, w * 0.8 * s, 0.5 * s),
                             (lx + load_len * (0.3 - 0.3 * k), 0, floor + 0.5 * s), load_c))
    else:  # dump: an open body tilted up at the front
        for y, hw in ((-w, 0.05), (w, 0.05)):
            parts.append(box((load_len / 2, hw, load_h / 3), (lx, y, floor + load_h / 3),
                             load_c, pitch=math.radians(-4)))
        parts.append(box((0.05, w, load_h / 3), (lx - load_len / 2, 0, floor + load_h / 3),
                         load_c))
    axles = [cab_x] + [lx - load_len / 2 + 0.7 + 1.1 * k for k in range(int(rng.integers(1, 4)))]
    _wheels(axles, w * 0.85, r, 0.4, parts)
    return parts


def car(rng: np.random.Generator) -> list[Part]:
    """A lower body and a cabin whose size and place give sedan, hatchback, SUV, pickup,
    coupe or van; four wheels."""
    c = _colour(rng)
    glass = shade(c, 0.45)
    length, w = rng.uniform(3.6, 5.2), rng.uniform(0.8, 1.0)
    r = rng.uniform(0.28, 0.4)
    style = rng.choice(["sedan", "hatch", "suv", "pickup", "coupe", "van"])
    clear = r * (1.4 if style in ("suv", "pickup") else 1.0)
    body_h = rng.uniform(0.45, 0.7)
    parts = [box((length / 2, w, body_h / 2), (0, 0, clear + body_h / 2), c)]
    top = clear + body_h
    cabin = {"sedan": (0.5, -0.05, 0.45), "hatch": (0.6, -0.2, 0.5), "suv": (0.7, -0.15, 0.65),
             "pickup": (0.3, 0.1, 0.6), "coupe": (0.4, -0.05, 0.35),
             "van": (0.85, -0.07, 0.85)}[style]
    frac, shift, h = cabin
    frac *= rng.uniform(0.9, 1.1)
    parts.append(box((length * frac / 2, w * 0.85, h / 2), (length * shift, 0, top + h / 2),
                     glass, pitch=math.radians(rng.uniform(-3, 3))))
    if style == "pickup":  # the bed's side walls
        for side in (-1, 1):
            parts.append(box((length * 0.2, 0.05, 0.2), (-length * 0.28, side * w, top + 0.2), c))
    if rng.random() < 0.3:  # a roof box or spoiler
        parts.append(box((length * 0.15, w * 0.6, 0.08), (-length * 0.3, 0, top + h + 0.08),
                         shade(c, 0.7)))
    axle = length * rng.uniform(0.3, 0.36)
    _wheels((axle, -axle), w * 0.95, r, 0.25, parts)
    return parts


def chair(rng: np.random.Generator) -> list[Part]:
    """A seat on four legs, a backrest, optional armrests (an extra, furniture category)."""
    c = _colour(rng)
    seat_w, seat_d = rng.uniform(0.2, 0.3), rng.uniform(0.2, 0.3)
    seat_h = rng.uniform(0.35, 0.5)
    leg_r = rng.uniform(0.015, 0.04)
    parts = [box((seat_d, seat_w, 0.03), (0, 0, seat_h), c)]
    for sx in (-1, 1):
        for sy in (-1, 1):
            parts.append(segment((sx * seat_d * 0.9, sy * seat_w * 0.9, seat_h),
                                 (sx * seat_d * 0.9, sy * seat_w * 0.9, 0), leg_r, shade(c, 0.7),
                                 "cylinder"))
    back_h = rng.uniform(0.15, 0.55)
    parts.append(box((0.02, seat_w, back_h / 2), (-seat_d, 0, seat_h + back_h / 2), c,
                     pitch=math.radians(rng.uniform(-15, 0))))
    if rng.random() < 0.5:
        for sy in (-1, 1):
            parts.append(box((seat_d, 0.02, 0.02), (0, sy * seat_w, seat_h + 0.2), c))
    return parts


#: category name -> builder; the default set uses the first five (smallNORB's classes)
CATEGORIES = {"animal": animal, "human": human, "airplane": airplane, "truck": truck,
              "car": car, "chair": chair}


def build_instance(category: str, seed: int, instance: int) -> list[Part]:
    """Instance ``instance`` of ``category``: the same parts for the same (seed, instance)
    whatever else the set holds. Normalised to the unit sphere."""
    index = list(CATEGORIES).index(category)
    rng = np.random.default_rng([int(seed), index, int(instance)])
    return normalise(CATEGORIES[category](rng))
