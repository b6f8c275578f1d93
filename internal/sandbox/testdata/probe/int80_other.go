//go:build !amd64

package main

func int80(trap, a1, a2, a3 uintptr) uintptr { return 0 }

const (
	i386Getpid  = 0
	i386Unshare = 0
)

const has32BitCalls = false
