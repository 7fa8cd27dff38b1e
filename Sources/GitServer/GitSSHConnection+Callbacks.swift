import CSSH
import InternalAPIClient

/// libssh's C callbacks: each converts its `userdata` back to the connection and calls a method of
/// ``GitSSHConnection+Requests``. A callback that is not set makes libssh refuse that request.
extension GitSSHConnection {
    func installCallbacks() {
        let userdata = Unmanaged.passUnretained(self).toOpaque()

        serverCallbacks.pointee.size = MemoryLayout<ssh_server_callbacks_struct>.size
        serverCallbacks.pointee.userdata = userdata
        // No password, none, keyboard-interactive or GSSAPI callbacks: those go to the message callback,
        // which refuses them.
        serverCallbacks.pointee.auth_pubkey_function = { _, user, key, state, userdata in
            connection(userdata).publicKeyOffered(key, user: user.map { String(cString: $0) }, signatureState: Int32(state))
        }
        serverCallbacks.pointee.channel_open_request_session_function = { _, userdata in
            connection(userdata).sessionChannelRequested()
        }
        ssh_set_server_callbacks(session, serverCallbacks)
        ssh_set_message_callback(session, { _, message, userdata in
            connection(userdata).unhandledMessage(message)
        }, userdata)

        channelCallbacks.pointee.size = MemoryLayout<ssh_channel_callbacks_struct>.size
        channelCallbacks.pointee.userdata = userdata
        channelCallbacks.pointee.channel_exec_request_function = { _, _, command, userdata in
            connection(userdata).commandRequested(.exec(command.map { String(cString: $0) } ?? ""))
        }
        channelCallbacks.pointee.channel_shell_request_function = { _, _, userdata in
            connection(userdata).commandRequested(.shell)
        }
        channelCallbacks.pointee.channel_subsystem_request_function = { _, _, subsystem, userdata in
            connection(userdata).commandRequested(.subsystem(subsystem.map { String(cString: $0) } ?? ""))
        }
        channelCallbacks.pointee.channel_env_request_function = { _, _, name, value, userdata in
            connection(userdata).environmentRequested(name.map { String(cString: $0) } ?? "", value: value.map { String(cString: $0) } ?? "")
        }
        channelCallbacks.pointee.channel_pty_request_function = { _, _, _, _, _, _, _, userdata in
            connection(userdata).terminalRequested()
        }
        channelCallbacks.pointee.channel_auth_agent_req_function = { _, _, userdata in
            connection(userdata).agentForwardingRequested()
        }
        channelCallbacks.pointee.channel_close_function = { _, _, userdata in
            connection(userdata).channelClosedByClient = true
        }
        // No x11 callback: libssh would answer success; x11-req reaches the message callback instead.
        // No data callback: ``pump(_:)`` reads the channel when receive-pack can take more, and libssh only
        // grows the client's window when we read, so a slow receive-pack slows the client down.
    }
}

/// The connection behind a callback's `userdata`.
private func connection(_ userdata: UnsafeMutableRawPointer?) -> GitSSHConnection {
    // safe: every callback is registered with the connection's own pointer as userdata, and the connection
    // outlives the session (it frees the session in finish()).
    Unmanaged<GitSSHConnection>.fromOpaque(userdata!).takeUnretainedValue()
}
