"""User-facing errors: one line that names the file/field and what was expected."""


class EgoequivError(Exception):
    """An error caused by the user's input (data, config, command line).

    The command-line tool prints it as one line, without a traceback.
    """


class DataError(EgoequivError):
    """A data file is missing, malformed or inconsistent."""

    def __init__(self, path, message: str, line: int | None = None):
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


class ConfigError(EgoequivError):
    """A configuration value is invalid."""
