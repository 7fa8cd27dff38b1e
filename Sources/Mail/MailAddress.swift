/// Address syntax: the practical subset of RFC 5322 that users type and MTAs accept.
enum MailAddress {
    /// `local@domain`: a dot-atom local part (ASCII) and a domain of letters, digits and hyphens.
    static func validate(_ address: String, field: String) throws(MailError) {
        try HeaderText.rejectControlCharacters(address, field: field)
        let invalid = MailError(
            .invalidAddress,
            "The \(field) \"\(address.prefix(320))\" is not an e-mail address like alice@example.com."
        )
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard address.utf8.count <= 254, parts.count == 2 else { throw invalid }
        let local = parts[0]
        let domain = parts[1]

        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-".utf8)
        let localAtoms = local.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...64).contains(local.utf8.count),
              localAtoms.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(atext.contains) })
        else { throw invalid }

        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        let labelBytes = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-".utf8)
        guard (1...253).contains(domain.utf8.count),
              labels.allSatisfy({ label in
                  (1...63).contains(label.utf8.count) && label.utf8.allSatisfy(labelBytes.contains)
                      && !label.hasPrefix("-") && !label.hasSuffix("-")
              })
        else { throw invalid }
    }

    /// Splits `Name <address>` or a bare address into its display name and address, validating both.
    static func parseMailbox(_ mailbox: String, field: String) throws(MailError) -> (displayName: String?, address: String) {
        try HeaderText.rejectControlCharacters(mailbox, field: field)
        let trimmed = mailbox.trimmingSpaces()
        guard let open = trimmed.lastIndex(of: "<") else {
            try validate(trimmed, field: field)
            return (nil, trimmed)
        }
        guard trimmed.hasSuffix(">") else {
            throw MailError(.invalidAddress, "The \(field) \"\(mailbox)\" must look like \"Name <address@example.com>\".")
        }
        let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        try validate(address, field: field)
        let name = String(trimmed[..<open]).trimmingSpaces()
        return (name.isEmpty ? nil : name, address)
    }
}

extension String {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
