"""`python -m vertex_tuning.emulator`: the same as `vertex-tuning emulator`."""

from ..cli.emulator import run

if __name__ == "__main__":
    run()
