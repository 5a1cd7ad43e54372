"""The driver's errors: a task that failed, and a shard whose output cannot be trusted."""


class ShardFailed(RuntimeError):
    """A task's CLI run failed in a way a retry cannot fix (bad input, usage, refused model),
    or failed on every retry. The message carries the CLI's exit code and its error line."""


class ShardRefused(RuntimeError):
    """A shard's output does not match its report, or was made with another model: nothing
    is merged."""
