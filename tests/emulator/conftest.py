from support.emulator import emulator, emulator_process, seed_emulator  # noqa: F401  (fixtures)
