// Package runtime runs Lambda functions in execution environments.
//
// An execution environment is one operating-system process speaking the
// Lambda Runtime API to an HTTP endpoint of its own on 127.0.0.1. The
// process starts with a clean environment holding only Lambda's variables,
// the function's own variables and the credentials that the caller's
// [EnvHooks] issue for that environment.
//
// When the host process is root, each environment runs under a uid of its
// own (taken from a block that this process alone holds, handed out least
// recently used, and returned only once nothing of its last holder is
// left), in a sandbox (package sandbox: its own mount, PID, IPC and UTS
// namespaces, the code read-only at /var/task, the bootstraps at
// /var/runtime, a private /tmp disk of EphemeralStorage and a private
// /dev/shm, no capabilities, no_new_privs, seccomp) and in a cgroup of its
// own (package cgroup) that holds its memory, /dev/shm included, to
// MemorySize and its processes and threads to 1,024, is frozen while it
// waits for its next event, and is killed whole. Its processes die with
// rolecall however rolecall dies, and the next start removes what a killed
// one left. Without root, or where the host cannot make sandboxes or
// cgroups, environments are processes of the host sharing its file system,
// and [Manager.Isolation] says exactly what is and is not isolated.
//
// A [Manager] owns the environments of many functions. [Manager.Invoke]
// reuses an idle environment of the same function version and configuration
// (the key) or starts a new one (a cold start), enforces the function's
// timeout, memory size, concurrency and payload limits, and returns the
// result with the invocation's log (START, function output, END, REPORT).
//
// The process's working directory is the code directory (LAMBDA_TASK_ROOT),
// as in Lambda. In a sandbox HOME and TMPDIR are its private /tmp; outside
// one, a private directory of the environment, owned by its uid and removed
// with it. When functions run under their own uids, a code directory they
// cannot read is staged as a readable copy (files that nobody but root may
// write are hard-linked; with sandboxes, under a directory of root's alone
// that only the environments of that code mount), kept for later
// environments of the same code, and the Runtime API accepts connections
// only from sockets of the environment's uid. Without cgroups, memory is
// sampled from /proc (the process group, plus any process of the
// environment's uid) and an environment over its memory size is killed.
//
// Runtimes: provided.al2023 and provided.al2 run CodeDir/bootstrap;
// python3.x and nodejs*.x run small bootstrap programs embedded in this
// package on a host interpreter of the runtime's own version (pythonX.Y on
// Python X.Y, nodejsN.x on Node N), found on PATH or named by
// ROLECALL_RUNTIME_<ID>; [Manager.CheckRuntime] refuses a runtime without
// one. As in Lambda, boto3 is importable in every python runtime and the
// AWS SDK for JavaScript v3 in nodejs18.x and later: the interpreter's
// own, or a copy installed once into the runtime cache ([DefaultCacheDir])
// from a host interpreter that has it, Debian's packages or the npm
// registry. [CheckLifecycle] applies AWS's retirement of runtimes.
package runtime
