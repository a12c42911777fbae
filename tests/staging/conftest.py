from support.emulator import emulator  # noqa: F401  (fixture)
