from support.emulator import emulator, emulator_process  # noqa: F401  (fixtures)
