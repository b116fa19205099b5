import Foundation
import HavenTestSupport
import Testing

@testable import Sealing

@Suite("Master keys: loading, file safety, wrapping data keys")
struct MasterKeyringTests {
    private func temporaryFile(_ text: String, mode: mode_t) throws -> String {
        let path = NSTemporaryDirectory() + "haven-key-\(UUID().uuidString)"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    @Test func loadsAFileThatOnlyItsOwnerCanRead() throws {
        let ring = try MasterKeyring.generate().addingNewVersion()
        let path = try temporaryFile(ring.fileText(), mode: 0o600)
        defer { unlink(path) }
        let loaded = try MasterKeyring.load(environment: ["HAVEN_MASTER_KEY_FILE": path])
        #expect(loaded.keys.keys.sorted() == [1, 2])
        #expect(loaded.currentVersion == 2)
        #expect(loaded.keys[2]!.constantTimeEquals(ring.keys[2]!))
    }

    @Test(arguments: [0o640, 0o604, 0o644, 0o660])
    func refusesAFileOthersCanRead(mode: Int) throws {
        let path = try temporaryFile(try MasterKeyring.generate().fileText(), mode: mode_t(mode))
        defer { unlink(path) }
        let error = #expect(throws: SealingError.self) { try MasterKeyring.load(file: path) }
        #expect(error?.kind == .masterKey)
        #expect(error?.description.contains("chmod 600 \(path)") == true)
    }

    @Test func missingOrMalformedKeysSayWhatToDo() throws {
        let none = #expect(throws: SealingError.self) { try MasterKeyring.load(environment: [:]) }
        #expect(none?.description.contains("HAVEN_MASTER_KEY_FILE") == true)
        let missing = #expect(throws: SealingError.self) {
            try MasterKeyring.load(environment: ["HAVEN_MASTER_KEY_FILE": "/nonexistent/haven.key"])
        }
        #expect(missing?.description.contains("/nonexistent/haven.key") == true)
        #expect(throws: SealingError.self) { try MasterKeyring.parse("not base64!") }
        #expect(throws: SealingError.self) { try MasterKeyring.parse(Data(count: 16).base64EncodedString()) }
        let two = Data(count: 32).base64EncodedString()
        #expect(throws: SealingError.self) { try MasterKeyring.parse("1:\(two)\n1:\(two)") }
        let inline = try MasterKeyring.load(environment: ["HAVEN_MASTER_KEY": "1:\(two),3:\(two)"])
        #expect(inline.keys.keys.sorted() == [1, 3])
        #expect(!"\(inline)".contains(two))
    }

    @Test func wrappedKeysOpenOnlyInTheirOwnContextAndVersion() throws {
        let ring = try MasterKeyring.generate().addingNewVersion()
        let dataKey = try SecureBytes(randomCount: 32)
        let context = MasterKeyring.WrapContext(
            keyID: Array(repeating: 1, count: 16),
            subjectKind: "couple",
            subjectID: "c1"
        )
        let (version, wrapped) = try ring.wrap(dataKey, context: context)
        #expect(version == 2)
        #expect(wrapped.count == 60)
        #expect(try ring.unwrap(wrapped, kekVersion: 2, context: context).constantTimeEquals(dataKey))
        var moved = context
        moved.subjectID = "c2"
        #expect(throws: SealingError(.authenticationFailed)) { try ring.unwrap(wrapped, kekVersion: 2, context: moved) }
        #expect(throws: SealingError(.authenticationFailed)) {
            try ring.unwrap(wrapped, kekVersion: 1, context: context)
        }
        let otherRing = try MasterKeyring.generate().addingNewVersion()
        #expect(throws: SealingError(.authenticationFailed)) {
            try otherRing.unwrap(wrapped, kekVersion: 2, context: context)
        }
        let old = try MasterKeyring(keys: [1: ring.keys[1]!])
        let notLoaded = #expect(throws: SealingError.self) { try old.unwrap(wrapped, kekVersion: 2, context: context) }
        #expect(notLoaded?.kind == .masterKey)
    }

    @Test func anIndependentPythonDecryptorOpensOurValuesFromTheSpecAlone() throws {
        let ring = try MasterKeyring.generate().addingNewVersion()
        var cases: [[String: Any]] = []
        var expected: [String?] = []
        for (index, text) in [
            "", "Partner B said: \"I shut down when you raise your voice.\" 🫶", String(repeating: "x", count: 70_000),
        ]
        .enumerated() {
            let keyID = (0..<16).map { UInt8($0 * 3 + index) }
            let wrapContext = MasterKeyring.WrapContext(
                keyID: keyID,
                subjectKind: "couple",
                subjectID: "couple-\(index)"
            )
            let secret = try SecureBytes(randomCount: 32)
            let (version, wrapped) = try ring.wrap(secret, context: wrapContext)
            let sealContext = SealContext(
                table: "notes",
                column: "body",
                rowID: "row-\(index)",
                subject: "couple:couple-\(index)"
            )
            var sealed = try Sealer.seal(
                Array(text.utf8),
                with: DataKey(id: keyID, secret: secret),
                context: sealContext
            )
            let tampered = index == 1
            if tampered { sealed[40] ^= 1 }
            cases.append([
                "masterKeyFile": ring.fileText(), "kekVersion": version, "wrappedKey": Hex.encode(wrapped),
                "keyId": Hex.encode(keyID), "subjectKind": "couple", "subjectId": "couple-\(index)",
                "sealed": Hex.encode(sealed), "table": "notes", "column": "body", "rowId": "row-\(index)",
                "subject": "couple:couple-\(index)",
            ])
            expected.append(tampered ? nil : Hex.encode(Array(text.utf8)))
        }
        let directory = NSTemporaryDirectory() + "haven-interop-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = directory + "/in.json"
        let output = directory + "/out.json"
        try JSONSerialization.data(withJSONObject: cases).write(to: URL(fileURLWithPath: input))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop/haven_decrypt.py").path
        #expect(runProgram("/usr/bin/env", arguments: ["python3", script, input, output]) == 0)
        let results = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [[String: String]]
        )
        #expect(results.count == expected.count)
        for (result, want) in zip(results, expected) {
            if let want {
                #expect(result["plaintext"] == want)
            } else {
                #expect(result["error"] == "InvalidTag")
            }
        }
    }
}
