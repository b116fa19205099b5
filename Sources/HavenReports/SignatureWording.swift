/// How the signature block says what was signed: the session notes' e-signatures (who, when, the
/// SHA-256 of the content, and the co-signature where the counselor is pre-licensed), never blank
/// ink lines.
enum SignatureWording {
    static let columns = ["Session", "Signed by", "Signed at", "Content hash (SHA-256)", "Co-signature"]

    static func lines(_ signatures: ProgressReport.Signatures) -> [String] {
        var lines: [String] = []
        if signatures.notes.isEmpty {
            lines.append("No signed session notes in this period.")
        } else {
            lines.append(
                "The session notes this report rests on were signed electronically; each signature covers "
                    + "the SHA-256 hash of the note as signed (times in the practice's time zone)."
            )
        }
        if signatures.unsignedNotes > 0 {
            lines.append(
                "\(signatures.unsignedNotes) note\(signatures.unsignedNotes == 1 ? " is" : "s are") "
                    + "not signed yet (draft)."
            )
        }
        return lines.flatMap { [$0, ""] }
    }

    static func cells(_ note: ProgressReport.NoteSignature) -> [String] {
        var cosignature = note.cosignature
        if let by = note.cosignedBy {
            cosignature += " by \(by)" + (note.cosignedAt.map { " at \($0)" } ?? "")
        }
        return [note.sessionDate, note.signedBy, note.signedAt, note.contentHash, cosignature]
    }
}
