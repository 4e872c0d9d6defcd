"""Dataset specs: ``name:PATH[,key=value,...]`` or ``name[:key=value,...]``."""

from __future__ import annotations

from pathlib import Path

from egoequiv.errors import EgoequivError


def parse_spec(spec: str) -> tuple[str, str | None, dict[str, str]]:
    """Split a spec into (name, path, options).

    >>> parse_spec("kitti-raw:/data/drive,camera=image_00")
    ('kitti-raw', '/data/drive', {'camera': 'image_00'})
    >>> parse_spec("rendered-objects:instances=4")
    ('rendered-objects', None, {'instances': '4'})
    """
    name, _, rest = spec.partition(":")
    name = name.strip().lower()
    if not name:
        raise EgoequivError(f"dataset spec {spec!r}: expected NAME:PATH or NAME")
    path, options = None, {}
    if rest:
        for item in rest.split(","):
            key, eq, value = item.partition("=")
            if eq and "/" not in key and key.strip():
                options[key.strip()] = value.strip()
            elif path is None:
                path = item
            else:
                path = f"{path},{item}"  # a comma inside the path
    return name, path, options


def convert_options(source_name: str, options: dict[str, str], types: dict[str, type]) -> dict:
    """Cast option strings to the source's declared types; unknown keys are errors."""
    out = {}
    for key, value in options.items():
        if key not in types:
            valid = ", ".join(sorted(types)) or "none"
            raise EgoequivError(
                f"dataset {source_name!r}: unknown option {key!r} (valid options: {valid})"
            )
        kind = types[key]
        try:
            if kind is bool:
                if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(value)
                out[key] = value.lower() in ("1", "true", "yes")
            else:
                out[key] = kind(value)
        except ValueError:
            raise EgoequivError(
                f"dataset {source_name!r}: option {key}={value!r} is not a valid {kind.__name__}"
            ) from None
    return out


def resolve_spec(spec: str) -> str:
    """The spec with its path made absolute (when it names an existing file or folder), so
    that a checkpoint's dataset still opens from another working directory."""
    name, path, options = parse_spec(spec)
    if not path:
        return spec
    try:
        full = Path(path).expanduser()
        if not full.exists():
            return spec
        full = full.resolve()
    except OSError:
        return spec
    rest = ",".join([str(full), *(f"{k}={v}" for k, v in options.items())])
    return f"{name}:{rest}"
