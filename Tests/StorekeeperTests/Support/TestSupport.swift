// Every file of this target sees the shared helpers (Shell, TemporaryDirectory,
// TemporaryTree, DaemonProcess, ...) without importing TestSupport itself, as
// when they lived in this target. Files should still say `import TestSupport`.
@_exported import TestSupport
