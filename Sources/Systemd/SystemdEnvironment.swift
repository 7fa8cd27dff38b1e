/// Environment variables that systemd (or `paastech dev`) addresses to this process only.
public enum SystemdEnvironment {
    /// Variables to remove from the environment of every child process and sandbox: a child that
    /// inherited them could send `READY=1` for us, or try to adopt fds it does not have.
    public static let variablesToStrip: [String] = [
        "NOTIFY_SOCKET",
        "LISTEN_PID",
        "LISTEN_FDS",
        "LISTEN_FDNAMES",
        "WATCHDOG_PID",
        "WATCHDOG_USEC",
        SocketActivation.paastechCountVariable,
        SocketActivation.paastechNamesVariable,
    ]
}
