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
        self.message = message

    def __reduce__(self):
        # rebuilt from its own arguments when a decode worker sends it back to the parent
        # (the default would call __init__ with the formatted text alone, and fail)
        return type(self), (self.path, self.message, self.line)


class ConfigError(EgoequivError):
    """A configuration value is invalid."""
