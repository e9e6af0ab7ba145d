import FuzzDriver
#if canImport(Glibc)
import Glibc
#endif

// SwiftPM gives an executable its own main, so libFuzzer runs through LLVMFuzzerRunDriver.
exit(parley_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv))
