package main

// int80 makes a system call through the 32-bit x86 convention (int $0x80,
// i386 numbers) and returns the kernel's result (-errno on failure).
func int80(trap, a1, a2, a3 uintptr) uintptr

const (
	i386Getpid  = 20
	i386Unshare = 310
)

// has32BitCalls reports whether this architecture has the 32-bit calls.
const has32BitCalls = true
