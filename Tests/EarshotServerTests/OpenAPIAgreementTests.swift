import EarshotCore
import EarshotNode
@testable import EarshotServer
import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing
import Yams

/// Keeps `Sources/EarshotServer/openapi.yaml` and the server in agreement: the same routes, a
/// well-formed OpenAPI 3.1 document, and responses whose status, content type and JSON shape are
/// the documented ones.
@Suite("OpenAPI document agrees with the server")
struct OpenAPIAgreementTests {
    // MARK: Routes

    @Test("every registered route is documented and every documented operation is registered")
    func routesMatchDocument() throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let webUI = Set(EarshotServer.webUIPaths.map { Endpoint(method: "GET", path: $0) })
        #expect(webUI.isSubset(of: Set(server.routes)), "the web UI's routes are registered")
        let registered = Set(server.routes).subtracting(webUI)
        let documented = try Set(Self.documentedOperations(Self.document()))

        #expect(registered.contains(Endpoint(method: "GET", path: "/healthz")), "the router lists no routes: \(registered)")
        let undocumented = registered.subtracting(documented).sorted()
        let unregistered = documented.subtracting(registered).sorted()
        #expect(undocumented.isEmpty, "routes missing from openapi.yaml: \(undocumented.map(\.description).joined(separator: ", "))")
        #expect(unregistered.isEmpty, "operations in openapi.yaml the server does not register: \(unregistered.map(\.description).joined(separator: ", "))")
    }

    @Test("every operation that needs credentials documents 401, and 403 unless only node keys reach it")
    func accessAnswersDocumented() throws {
        let document = try Self.document()
        let paths = document["paths"] as? [String: Any] ?? [:]
        var missing: [String] = []
        for (path, item) in paths {
            let item = item as? [String: Any] ?? [:]
            for method in Self.httpMethods {
                guard let operation = item[method] as? [String: Any] else { continue }
                let route = "\(method.uppercased()) \(Self.normalise(path))"
                let rule = try #require(AccessPolicy.rules[route], "no access rule for \(route)")
                let responses = operation["responses"] as? [String: Any] ?? [:]
                let wanted = switch rule {
                case .open: [String]()
                case .node: ["401"]
                default: ["401", "403"]
                }
                for code in wanted where responses[code] == nil { missing.append("\(route) \(code)") }
            }
        }
        #expect(missing.isEmpty, "undocumented access answers: \(missing.sorted().joined(separator: ", "))")
    }

    @Test("path normalisation treats {id}, :id and slashes alike")
    func pathNormalisation() {
        #expect(Self.normalise("api/v1/jobs/:id/") == "/api/v1/jobs/{id}")
        #expect(Self.normalise("/api/v1/jobs/{id}") == "/api/v1/jobs/{id}")
        #expect(Self.normalise("//healthz") == "/healthz")
        #expect(Self.normalise("") == "/")
    }

    // MARK: Document

    @Test("the document is well-formed OpenAPI 3.1")
    func documentIsWellFormed() throws {
        let document = try Self.document()
        var problems: [String] = []

        let version = document["openapi"] as? String ?? ""
        if !version.hasPrefix("3.1.") { problems.append("openapi is '\(version)', expected 3.1.x") }
        let info = document["info"] as? [String: Any] ?? [:]
        if (info["title"] as? String ?? "").isEmpty { problems.append("info.title is missing") }
        if (info["version"] as? String ?? "").isEmpty { problems.append("info.version is missing") }
        if info["version"] as? String != EarshotVersion.current {
            problems.append("info.version is '\(info["version"] ?? "")', the server is \(EarshotVersion.current)")
        }
        let servers = document["servers"] as? [Any] ?? []
        if servers.isEmpty { problems.append("no servers") }

        var operationIDs: [String: String] = [:]
        let paths = document["paths"] as? [String: Any] ?? [:]
        if paths.isEmpty { problems.append("no paths") }
        for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
            guard let item = item as? [String: Any] else {
                problems.append("\(path) is not a path item")
                continue
            }
            let pathParameters = Self.parameters(item["parameters"], document: document)
            let templated = Set(path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) })
            for method in Self.httpMethods {
                guard let operation = item[method] as? [String: Any] else { continue }
                let name = "\(method.uppercased()) \(path)"
                if let id = operation["operationId"] as? String, !id.isEmpty {
                    if let other = operationIDs[id] { problems.append("operationId \(id) is used by both \(other) and \(name)") }
                    operationIDs[id] = name
                } else {
                    problems.append("\(name) has no operationId")
                }
                let responses = operation["responses"] as? [String: Any] ?? [:]
                if responses.isEmpty { problems.append("\(name) has no responses") }
                for (status, _) in responses where Int(status) == nil && status != "default" {
                    problems.append("\(name) has response '\(status)', not a status code")
                }
                let declared = (pathParameters + Self.parameters(operation["parameters"], document: document))
                    .filter { $0["in"] as? String == "path" }
                    .compactMap { $0["name"] as? String }
                if Set(declared) != templated {
                    problems.append("\(name) declares path parameters \(declared.sorted()), its path has \(templated.sorted())")
                }
            }
        }

        var references: [String] = []
        Self.collectReferences(document, into: &references)
        #expect(!references.isEmpty, "the document uses no $ref; expected shared components")
        for reference in Set(references).sorted() {
            if !reference.hasPrefix("#/components/") {
                problems.append("$ref \(reference) does not point under #/components/")
            } else if Self.resolve(reference, in: document) == nil {
                problems.append("$ref \(reference) points to nothing")
            }
        }

        let components = document["components"] as? [String: Any] ?? [:]
        let schemas = components["schemas"] as? [String: Any] ?? [:]
        for name in ["Job", "JobList", "Attempt", "AttemptList", "Transcript", "Segment", "Word", "Error", "Readiness"] where schemas[name] == nil {
            problems.append("components.schemas.\(name) is missing")
        }
        if (components["responses"] as? [String: Any] ?? [:]).isEmpty { problems.append("components.responses is empty") }

        #expect(problems.isEmpty, "openapi.yaml: \(problems.joined(separator: "; "))")
    }

    @Test("the enumerations in the document are the server's")
    func enumerationsMatchCode() throws {
        let document = try Self.document()
        let states = Self.resolve("#/components/schemas/JobState/enum", in: document) as? [Any] ?? []
        #expect(states.compactMap { $0 as? String } == JobState.allCases.map(\.rawValue))
        let eventTypes = Self.resolve("#/components/schemas/EventType/enum", in: document) as? [Any] ?? []
        #expect(eventTypes.compactMap { $0 as? String } == EventType.allCases.map(\.rawValue))

        let transcript = Self.resolve("#/paths/~1api~1v1~1jobs~1{id}~1transcript/get", in: document) as? [String: Any] ?? [:]
        let format = Self.parameters(transcript["parameters"], document: document).first { $0["name"] as? String == "format" }
        let formats = (format?["schema"] as? [String: Any])?["enum"] as? [Any] ?? []
        #expect(formats.compactMap { $0 as? String } == ExportFormat.allCases.map(\.rawValue))

        let content = Self.resolve("#/paths/~1api~1v1~1jobs~1{id}~1transcript/get/responses/200/content", in: document) as? [String: Any] ?? [:]
        let documentedTypes = Set(content.keys)
        let serverTypes = Set(ExportFormat.allCases.map { Self.mediaType($0.contentType) })
        #expect(documentedTypes == serverTypes, "transcript content types: documented \(documentedTypes.sorted()), served \(serverTypes.sorted())")
    }

    @Test("the document is the file that GET /openapi.yaml serves")
    func servedDocumentIsTheSourceFile() throws {
        let source = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/EarshotServer/openapi.yaml")
        let onDisk = try String(contentsOf: source, encoding: .utf8)
        #expect(OpenAPIDocument.text == onDisk, "the bundled openapi.yaml differs from \(source.path); rebuild")
        #expect(OpenAPIDocument.text.contains("/api/v1/jobs"), "the bundle's openapi.yaml was not found (fallback document served)")
    }

    // MARK: Responses

    @Test("every response in a job's life matches the document")
    func responsesMatchDocument() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let document = try Self.document()
        let recorder = ConformanceRecorder(server: server, document: document)

        func exchange(
            _ method: HTTPRequest.Method, _ template: String, _ uri: String, expect status: Int, code: String? = nil,
            headers: HTTPFields = [:], body: [UInt8] = []
        ) async throws -> Exchange {
            try await recorder.exchange(method, template, uri, expect: status, code: code, headers: headers, body: body)
        }

        // Operations endpoints.
        _ = try await exchange(.get, "/healthz", "/healthz", expect: 200)
        _ = try await exchange(.get, "/readyz", "/readyz", expect: 200)
        _ = try await exchange(.get, "/metrics", "/metrics", expect: 200)
        let served = try await exchange(.get, "/openapi.yaml", "/openapi.yaml", expect: 200)
        #expect(served.text == OpenAPIDocument.text)

        // Uploads: raw body with query options, and multipart with form fields.
        let jobs = "/api/v1/jobs"
        let raw = try await exchange(
            .post, jobs, "\(jobs)?filename=talk.wav&priority=5&language=en&word_timestamps=true", expect: 201,
            headers: [.contentType: "audio/wav"], body: Self.silentWAV()
        )
        let first = try #require(raw.json?["id"]?.string)
        #expect(raw.headers[.location] == "\(jobs)/\(first)")
        let boundary = "earshot-test-boundary"
        let form = try await exchange(
            .post, jobs, jobs, expect: 201,
            headers: [.contentType: "multipart/form-data; boundary=\(boundary)"],
            body: Self.multipart(boundary: boundary, fields: ["model": "base", "beam_size": "3"], file: ("interview.m4a", Array("not really audio".utf8)))
        )
        let second = try #require(form.json?["id"]?.string)

        // Upload errors.
        _ = try await exchange(.post, jobs, jobs, expect: 415, code: "unsupported_content_type", headers: [.contentType: "text/plain"], body: Array("hi".utf8))
        _ = try await exchange(.post, jobs, jobs, expect: 400, code: "empty_upload", headers: [.contentType: "audio/wav"])
        _ = try await exchange(.post, jobs, "\(jobs)?colour=blue", expect: 400, code: "unknown_field", headers: [.contentType: "audio/wav"], body: Self.silentWAV())
        _ = try await exchange(.post, jobs, "\(jobs)?model=huge", expect: 400, code: "unknown_model", headers: [.contentType: "audio/wav"], body: Self.silentWAV())
        _ = try await exchange(
            .post, jobs, jobs, expect: 400, code: "missing_file", headers: [.contentType: "multipart/form-data; boundary=\(boundary)"],
            body: Self.multipart(boundary: boundary, fields: ["language": "en"], file: nil)
        )

        // The first job runs and succeeds (it has the higher priority).
        let item = "\(jobs)/{id}"
        let claimed = try #require(try await server.store.claimNext(holder: "test:1", leaseSeconds: 3600, models: nil, now: Date()))
        #expect(claimed.job.id.rawValue == first)
        let running = try await exchange(.get, item, "\(jobs)/\(first)", expect: 200)
        #expect(running.json?["lease"] != nil)
        _ = try await exchange(.get, "\(item)/transcript", "\(jobs)/\(first)/transcript", expect: 409, code: "transcript_not_ready")
        let partial = PartialSegments(firstIndex: 0, segments: [Segment(start: 0, end: 1.5, text: "Hello and")])
        _ = try await server.store.heartbeat(claimed.lease, progress: 0.4, partial: partial, leaseSeconds: 3600, now: Date())
        let soFar = try await exchange(.get, "\(item)/segments", "\(jobs)/\(first)/segments", expect: 200)
        #expect(soFar.json?["final"] == .bool(false) && soFar.json?["segments"]?.array?.count == 1)
        _ = try await exchange(.get, "\(item)/segments", "\(jobs)/\(first)/segments?after=x", expect: 400, code: "invalid_after")
        _ = try await server.store.complete(claimed.lease, transcript: Self.transcript(JobID(rawValue: first)), now: Date())
        _ = try await exchange(.get, item, "\(jobs)/\(first)", expect: 200)
        let waited = try await exchange(.get, item, "\(jobs)/\(first)?wait=5&until=succeeded,failed", expect: 200)
        #expect(waited.json?["state"]?.string == "succeeded")
        _ = try await exchange(.get, item, "\(jobs)/\(first)?wait=forever", expect: 400, code: "invalid_wait")
        _ = try await exchange(.get, item, "\(jobs)/\(first)?wait=1&until=done", expect: 400, code: "invalid_state")
        for format in ExportFormat.allCases {
            let rendered = try await exchange(.get, "\(item)/transcript", "\(jobs)/\(first)/transcript?format=\(format.rawValue)", expect: 200)
            #expect(rendered.headers[.contentType] == format.contentType)
            #expect(rendered.headers[.contentDisposition] == nil)
        }
        let download = try await exchange(.get, "\(item)/transcript", "\(jobs)/\(first)/transcript?format=srt&download=true", expect: 200)
        #expect(download.headers[.contentDisposition] == "attachment; filename=\"talk.srt\"")
        _ = try await exchange(.get, "\(item)/transcript", "\(jobs)/\(first)/transcript?format=docx", expect: 400, code: "invalid_format")
        _ = try await exchange(.post, "\(item)/cancel", "\(jobs)/\(first)/cancel", expect: 409, code: "invalid_state")
        _ = try await exchange(.post, "\(item)/retry", "\(jobs)/\(first)/retry", expect: 409, code: "invalid_state")
        _ = try await exchange(.get, "\(item)/attempts", "\(jobs)/\(first)/attempts", expect: 200)
        let search = "/api/v1/search"
        let found = try await exchange(.get, search, "\(search)?q=HELLO&limit=1", expect: 200)
        #expect(found.json?["hits"]?.array?.first?["job_id"]?.string == first)
        #expect(found.json?["hits"]?.array?.first?["snippet_html"]?.string == "<mark>Hello</mark> there.")
        _ = try await exchange(.get, search, "\(search)?q=%22%2A%29", expect: 400, code: "invalid_query")
        _ = try await exchange(.get, search, "\(search)?q=hello&limit=500", expect: 400, code: "invalid_limit")
        _ = try await exchange(.get, search, "\(search)?q=hello&cursor=x", expect: 400, code: "invalid_cursor")
        // The audio, whole and in ranges, for the player.
        let wav = Self.silentWAV()
        let whole = try await exchange(.get, "\(item)/media", "\(jobs)/\(first)/media", expect: 200)
        #expect(whole.body == wav && whole.headers[.contentType] == "audio/wav" && whole.headers[.acceptRanges] == "bytes")
        let tail = try await exchange(.get, "\(item)/media", "\(jobs)/\(first)/media", expect: 206, headers: [.range: "bytes=44-"])
        #expect(tail.body == Array(wav.dropFirst(44)) && tail.headers[.contentRange] == "bytes 44-\(wav.count - 1)/\(wav.count)")
        _ = try await exchange(.get, "\(item)/media", "\(jobs)/\(first)/media", expect: 416, code: "invalid_range", headers: [.range: "bytes=99999-"])
        let other = try await exchange(.get, "\(item)/media", "\(jobs)/\(second)/media", expect: 200)
        #expect(other.headers[.contentType] == "audio/mp4" && other.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")

        // A person corrects a segment: the edit is shown, searched and exported; the original is kept.
        let segment = "/api/v1/transcripts/{id}/segments/{n}"
        let edited = try await exchange(
            .patch, segment, "/api/v1/transcripts/\(first)/segments/0", expect: 200, headers: [.contentType: "application/json"],
            body: Array(#"{"text": "  Hello <b>there</b>, friend.  ", "author": "ann"}"#.utf8)
        )
        #expect(edited.json?["text"]?.string == "Hello <b>there</b>, friend." && edited.json?["original_text"]?.string == " Hello there.")
        #expect(edited.json?["revisions"]?.array?.first?["source"]?.string == "human")
        let shown = try await exchange(.get, segment, "/api/v1/transcripts/\(first)/segments/0", expect: 200)
        #expect(shown.json?["revisions"]?.array?.count == 1)
        let exported = try await exchange(.get, "\(item)/transcript", "\(jobs)/\(first)/transcript?format=txt", expect: 200)
        #expect(exported.text.contains("Hello <b>there</b>, friend."))
        let friend = try await exchange(.get, search, "\(search)?q=friend", expect: 200)
        #expect(friend.json?["hits"]?.array?.first?["snippet_html"]?.string == "Hello &lt;b&gt;there&lt;/b&gt;, <mark>friend</mark>.")
        _ = try await exchange(.get, segment, "/api/v1/transcripts/\(first)/segments/7", expect: 404, code: "segment_not_found")
        _ = try await exchange(.get, segment, "/api/v1/transcripts/\(first)/segments/-1", expect: 400, code: "invalid_segment")
        _ = try await exchange(.get, segment, "/api/v1/transcripts/\(second)/segments/0", expect: 404, code: "transcript_not_found")
        _ = try await exchange(.get, segment, "/api/v1/transcripts/\(JobID.generate())/segments/0", expect: 404, code: "not_found")
        _ = try await exchange(
            .patch, segment, "/api/v1/transcripts/\(first)/segments/0", expect: 400, code: "invalid_json", headers: [.contentType: "application/json"],
            body: Array(#"{"txt": "x"}"#.utf8)
        )
        _ = try await exchange(
            .patch, segment, "/api/v1/transcripts/\(first)/segments/0", expect: 400, code: "invalid_text", headers: [.contentType: "application/json"],
            body: Array(#"{"text": "\#(String(repeating: "a", count: 10_001))"}"#.utf8)
        )

        let finalText = try await exchange(.get, "\(item)/segments", "\(jobs)/\(first)/segments?after=1", expect: 200)
        #expect(finalText.json?["final"] == .bool(true) && finalText.json?["first_index"] == .integer(1))

        // The second job fails once, is re-queued with backoff, cancelled and retried.
        let failing = try #require(try await server.store.claimNext(holder: "test:1", leaseSeconds: 3600, models: nil, now: Date()))
        #expect(failing.job.id.rawValue == second)
        _ = try await server.store.fail(failing.lease, error: .engine("the engine crashed"), retryable: true, now: Date())
        let backoff = try await exchange(.get, item, "\(jobs)/\(second)", expect: 200)
        #expect(backoff.json?["retry_after"] != nil && backoff.json?["error"] != nil)
        let attempts = try await exchange(.get, "\(item)/attempts", "\(jobs)/\(second)/attempts", expect: 200)
        #expect(attempts.json?["attempts"]?.array?.count == 1)
        _ = try await exchange(.post, "\(item)/cancel", "\(jobs)/\(second)/cancel", expect: 200)
        _ = try await exchange(.post, "\(item)/retry", "\(jobs)/\(second)/retry", expect: 200)

        // Listing, paging and its errors.
        let page = try await exchange(.get, jobs, "\(jobs)?limit=1", expect: 200)
        let cursor = try #require(page.json?["next_cursor"]?.string)
        let last = try await exchange(.get, jobs, "\(jobs)?limit=1&cursor=\(cursor)", expect: 200)
        #expect(last.json?["next_cursor"] == nil)
        _ = try await exchange(.get, jobs, "\(jobs)?state=queued,succeeded", expect: 200)
        _ = try await exchange(.get, jobs, "\(jobs)?state=finished", expect: 400, code: "invalid_state")
        _ = try await exchange(.get, jobs, "\(jobs)?limit=0", expect: 400, code: "invalid_limit")
        let today = String(ISO8601Timestamp.format(Date()).prefix(10))
        let created = try await exchange(.get, jobs, "\(jobs)?created_from=\(today)", expect: 200)
        #expect(created.json?["jobs"]?.array?.count == 2)
        let none = try await exchange(.get, jobs, "\(jobs)?created_before=\(today)", expect: 200)
        #expect(none.json?["jobs"]?.array?.isEmpty == true)
        _ = try await exchange(.get, jobs, "\(jobs)?created_from=yesterday", expect: 400, code: "invalid_date")
        _ = try await exchange(.get, jobs, "\(jobs)?cursor=abc", expect: 400, code: "invalid_cursor")

        // Ids that are not ids, and ids of no job.
        let unknown = JobID.generate().rawValue
        let operations: [(HTTPRequest.Method, String)] = [
            (.get, ""), (.delete, ""), (.get, "/attempts"), (.post, "/cancel"), (.post, "/retry"), (.get, "/transcript"),
            (.get, "/segments"), (.get, "/media"),
        ]
        for (method, suffix) in operations {
            _ = try await exchange(method, "\(item)\(suffix)", "\(jobs)/not-a-job\(suffix)", expect: 400, code: "invalid_id")
            _ = try await exchange(method, "\(item)\(suffix)", "\(jobs)/\(unknown)\(suffix)", expect: 404, code: "not_found")
        }

        // Drafts of live sessions: listed, read, corrected by a person; audio not kept here.
        let draft = try await server.store.startDraft(NewDraft(sessionId: "mic", offsetSeconds: 1.5, model: "tiny.en", language: "en"), now: Date())
        _ = try await server.store.endDraft(draft.id, result: DraftResult(
            durationSeconds: 2, language: "en", segments: [Segment(start: 0, end: 2, text: " the whether")], hasAudio: false
        ), now: Date())
        let drafts = "/api/v1/drafts"
        let listed = try await exchange(.get, drafts, "\(drafts)?session_id=mic&limit=10", expect: 200)
        #expect(listed.json?["drafts"]?.array?.first?["id"]?.string == draft.id)
        _ = try await exchange(.get, drafts, "\(drafts)?limit=0", expect: 400, code: "invalid_limit")
        _ = try await exchange(.get, drafts, "\(drafts)?cursor=x", expect: 400, code: "invalid_cursor")
        _ = try await exchange(.get, "\(drafts)/{id}", "\(drafts)/\(draft.id)", expect: 200)
        let corrected = try await exchange(
            .patch, "\(drafts)/{id}", "\(drafts)/\(draft.id)", expect: 200, headers: [.contentType: "application/json"],
            body: Array(#"{"text": "the weather"}"#.utf8)
        )
        #expect(corrected.json?["text"]?.string == "the weather" && corrected.json?["original_text"]?.string == "the whether")
        _ = try await exchange(.get, "\(drafts)/{id}/audio", "\(drafts)/\(draft.id)/audio", expect: 404, code: "audio_not_found")
        _ = try await exchange(.get, "\(drafts)/{id}", "\(drafts)/nope", expect: 400, code: "invalid_id")
        _ = try await exchange(.get, "\(drafts)/{id}", "\(drafts)/\(UUID().uuidString)", expect: 404, code: "not_found")

        // Deletion.
        let deleted = try await exchange(.delete, item, "\(jobs)/\(second)", expect: 204)
        #expect(deleted.body.isEmpty)
        _ = try await exchange(.get, item, "\(jobs)/\(second)", expect: 404, code: "not_found")

        #expect(recorder.problems.isEmpty, "responses disagree with openapi.yaml:\n\(recorder.problems.joined(separator: "\n"))")
    }

    @Test("every node, node-admin and queue response matches the document")
    func nodeResponsesMatchDocument() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let document = try Self.document()
        let recorder = ConformanceRecorder(server: server, document: document)

        func exchange(
            _ method: HTTPRequest.Method, _ template: String, _ uri: String, expect status: Int, code: String? = nil,
            headers: HTTPFields = [:], body: [UInt8] = [], on target: TestServer? = nil
        ) async throws -> Exchange {
            try await recorder.exchange(method, template, uri, expect: status, code: code, headers: headers, body: body, on: target)
        }
        func json(_ value: some Encodable) throws -> [UInt8] { Array(try EarshotJSON.encoder().encode(value)) }
        let jsonType: HTTPFields = [.contentType: "application/json"]
        func keyed(_ key: String) -> HTTPFields { [.contentType: "application/json", .authorization: "Bearer \(key)"] }

        _ = try await exchange(.get, "/api/v1/queue/stats", "/api/v1/queue/stats", expect: 200)

        // Registration and administration (no admin token configured: open).
        let nodes = "/api/v1/nodes"
        let node = "\(nodes)/{node_id}"
        let registered = try await exchange(.post, nodes, nodes, expect: 201, headers: jsonType, body: json(NodeRegistrationRequest(name: "gpu-1", priority: 5)))
        let nodeID = try #require(registered.json?["node_id"]?.string)
        let key = try #require(registered.json?["api_key"]?.string)
        let other = try await exchange(.post, nodes, nodes, expect: 201, headers: jsonType, body: json(NodeRegistrationRequest(name: "gpu-2")))
        let otherKey = try #require(other.json?["api_key"]?.string)
        _ = try await exchange(.post, nodes, nodes, expect: 409, code: "duplicate_name", headers: jsonType, body: json(NodeRegistrationRequest(name: "gpu-1")))
        _ = try await exchange(.post, nodes, nodes, expect: 400, code: "invalid_name", headers: jsonType, body: json(NodeRegistrationRequest(name: "no spaces")))
        _ = try await exchange(.post, nodes, nodes, expect: 400, code: "invalid_priority", headers: jsonType, body: json(NodeRegistrationRequest(name: "x", priority: 5000)))
        _ = try await exchange(.post, nodes, nodes, expect: 400, code: "invalid_json", headers: jsonType, body: Array("nope".utf8))
        _ = try await exchange(.get, nodes, nodes, expect: 200)
        _ = try await exchange(.get, node, "\(nodes)/\(nodeID)", expect: 200)
        let unknownNode = UUID().uuidString.lowercased()
        for (method, suffix) in [(HTTPRequest.Method.get, ""), (.delete, ""), (.post, "/disable"), (.post, "/enable")] {
            _ = try await exchange(method, "\(node)\(suffix)", "\(nodes)/not-a-node\(suffix)", expect: 400, code: "invalid_id")
            _ = try await exchange(method, "\(node)\(suffix)", "\(nodes)/\(unknownNode)\(suffix)", expect: 404, code: "not_found")
        }

        // Heartbeat and authentication.
        let capabilities = NodeCapabilities(engines: ["faster-whisper"], models: ["tiny.en"], device: "cpu", slots: 1, freeSlots: 1)
        let heartbeat = try json(NodeHeartbeat(capabilities: capabilities, runningJobs: []))
        _ = try await exchange(.post, "/api/v1/node/heartbeat", "/api/v1/node/heartbeat", expect: 200, headers: keyed(key), body: heartbeat)
        _ = try await exchange(.post, "/api/v1/node/heartbeat", "/api/v1/node/heartbeat", expect: 401, code: "unauthorized", headers: jsonType, body: heartbeat)
        _ = try await exchange(.post, "/api/v1/node/heartbeat", "/api/v1/node/heartbeat", expect: 401, code: "unauthorized", headers: keyed("esk_0000"), body: heartbeat)
        _ = try await exchange(.post, "/api/v1/node/heartbeat", "/api/v1/node/heartbeat", expect: 400, code: "invalid_json", headers: keyed(key), body: Array("{}".utf8))

        // Claiming: nothing queued, a bad wait, then a job.
        let claimPath = "/api/v1/node/claim"
        let any = try json(ClaimRequest(models: nil))
        let empty = try await exchange(.post, claimPath, "\(claimPath)?wait=0", expect: 204, headers: keyed(key), body: any)
        #expect(empty.body.isEmpty)
        _ = try await exchange(.post, claimPath, "\(claimPath)?wait=99", expect: 400, code: "invalid_wait", headers: keyed(key), body: any)
        _ = try await exchange(.post, "/api/v1/jobs", "/api/v1/jobs?filename=talk.wav", expect: 201, headers: [.contentType: "audio/wav"], body: Self.silentWAV())
        _ = try await exchange(.post, claimPath, "\(claimPath)?wait=0", expect: 204, headers: keyed(key), body: try json(ClaimRequest(models: ["large-v3"])))
        func claim() async throws -> (id: String, lease: LeaseReference) {
            let claimed = try await exchange(.post, claimPath, "\(claimPath)?wait=0", expect: 200, headers: keyed(key), body: any)
            let lease = try EarshotJSON.decoder().decode(ClaimedWork.self, from: Data(claimed.body)).lease
            return (lease.jobID.rawValue, LeaseReference(lease))
        }
        var (id, lease) = try await claim()
        _ = try await exchange(.get, node, "\(nodes)/\(nodeID)", expect: 200)
        _ = try await exchange(.get, nodes, nodes, expect: 200)
        _ = try await exchange(.get, "/api/v1/queue/stats", "/api/v1/queue/stats", expect: 200)

        // Media download, whole and in part.
        let mediaTemplate = "/api/v1/node/jobs/{id}/media"
        let media = "/api/v1/node/jobs/\(id)/media"
        let whole = try await exchange(.get, mediaTemplate, "\(media)?token=\(lease.token)", expect: 200, headers: keyed(key))
        #expect(whole.body == Self.silentWAV())
        let part = try await exchange(.get, mediaTemplate, "\(media)?token=\(lease.token)", expect: 206, headers: [.authorization: "Bearer \(key)", .range: "bytes=0-9"])
        #expect(part.headers[.contentRange] == "bytes 0-9/\(Self.silentWAV().count)" && part.body.count == 10)
        _ = try await exchange(.get, mediaTemplate, "\(media)?token=\(lease.token)", expect: 416, code: "invalid_range", headers: [.authorization: "Bearer \(key)", .range: "bytes=999999-"])
        _ = try await exchange(.get, mediaTemplate, media, expect: 400, code: "invalid_token", headers: keyed(key))
        _ = try await exchange(.get, mediaTemplate, "\(media)?token=\(lease.token + 1)", expect: 409, code: "lease_stale", headers: keyed(key))
        _ = try await exchange(.get, mediaTemplate, "\(media)?token=\(lease.token)", expect: 403, code: "forbidden", headers: keyed(otherKey))
        _ = try await exchange(.get, mediaTemplate, "/api/v1/node/jobs/\(JobID.generate())/media?token=1", expect: 404, code: "not_found", headers: keyed(key))

        // Progress, release, failure with backoff, reset, completion.
        func report(_ action: String, _ body: [UInt8], expect status: Int, code: String? = nil, key reporter: String? = nil, job: String? = nil) async throws {
            _ = try await exchange(
                .post, "/api/v1/node/jobs/{id}/\(action)", "/api/v1/node/jobs/\(job ?? id)/\(action)", expect: status, code: code,
                headers: keyed(reporter ?? key), body: body
            )
        }
        try await report("progress", json(ProgressReport(lease: lease, progress: 0.5)), expect: 200)
        let streamed = PartialSegments(firstIndex: 0, segments: [Segment(start: 0, end: 1, text: "so far")])
        try await report("progress", json(ProgressReport(lease: lease, progress: 0.6, partial: streamed)), expect: 200)
        let bad = PartialSegments(firstIndex: -1, segments: [])
        try await report("progress", json(ProgressReport(lease: lease, progress: 0.6, partial: bad)), expect: 400, code: "invalid_partial")
        try await report("progress", json(ProgressReport(lease: lease, progress: nil)), expect: 403, code: "forbidden", key: otherKey)
        try await report("progress", Array("{}".utf8), expect: 400, code: "invalid_json")
        try await report("progress", json(ProgressReport(lease: lease, progress: nil)), expect: 400, code: "invalid_id", job: "not-a-job")
        try await report("release", json(ReleaseReport(lease: lease)), expect: 200)
        try await report("progress", json(ProgressReport(lease: lease, progress: nil)), expect: 409, code: "lease_stale")
        (id, lease) = try await claim()
        try await report("fail", json(FailureReport(lease: lease, error: .engine("crashed"), retryable: true)), expect: 200)
        _ = try await exchange(.post, claimPath, "\(claimPath)?wait=0", expect: 204, headers: keyed(key), body: any)
        let resetTemplate = "/api/v1/jobs/{id}/reset"
        let queuedReset = try await exchange(.post, resetTemplate, "/api/v1/jobs/\(id)/reset", expect: 200)
        #expect(queuedReset.json?["retry_after"] == nil && queuedReset.json?["state"]?.string == "queued")
        (id, lease) = try await claim()
        let runningReset = try await exchange(.post, resetTemplate, "/api/v1/jobs/\(id)/reset", expect: 200)
        #expect(runningReset.json?["state"]?.string == "queued" && runningReset.json?["lease"] == nil)
        try await report("progress", json(ProgressReport(lease: lease, progress: nil)), expect: 409, code: "lease_stale")
        (id, lease) = try await claim()
        let transcript = Self.transcript(JobID(rawValue: id))
        try await report("complete", json(CompletionReport(lease: lease, transcript: Self.transcript(.generate()))), expect: 400, code: "job_mismatch")
        try await report("complete", json(CompletionReport(lease: lease, transcript: transcript)), expect: 200)
        _ = try await exchange(.post, resetTemplate, "/api/v1/jobs/\(id)/reset", expect: 409, code: "invalid_state")
        _ = try await exchange(.post, resetTemplate, "/api/v1/jobs/not-a-job/reset", expect: 400, code: "invalid_id")
        _ = try await exchange(.post, resetTemplate, "/api/v1/jobs/\(JobID.generate())/reset", expect: 404, code: "not_found")
        let attempts = try await exchange(.get, "/api/v1/jobs/{id}/attempts", "/api/v1/jobs/\(id)/attempts", expect: 200)
        #expect(attempts.json?["attempts"]?.array?.compactMap { $0["outcome"]?.string } == ["released", "failed", "released", "succeeded"])

        // Several at once: a node with free slots claims and delivers them in one request each.
        let claimsPath = "/api/v1/node/claims"
        let completionsPath = "/api/v1/node/completions"
        _ = try await exchange(.post, claimsPath, "\(claimsPath)?wait=0", expect: 204, headers: keyed(key), body: try json(ClaimRequest(models: nil, max: 4)))
        for _ in 0..<3 {
            _ = try await exchange(.post, "/api/v1/jobs", "/api/v1/jobs?filename=talk.wav", expect: 201, headers: [.contentType: "audio/wav"], body: Self.silentWAV())
        }
        _ = try await exchange(.post, claimsPath, "\(claimsPath)?wait=0", expect: 400, code: "invalid_max", headers: keyed(key), body: try json(ClaimRequest(models: nil, max: 0)))
        _ = try await exchange(.post, claimsPath, "\(claimsPath)?wait=0", expect: 400, code: "invalid_max", headers: keyed(key), body: try json(ClaimRequest(models: nil, max: 65)))
        let pair = try await exchange(.post, claimsPath, "\(claimsPath)?wait=0", expect: 200, headers: keyed(key), body: try json(ClaimRequest(models: nil, max: 2)))
        let first = try EarshotJSON.decoder().decode(ClaimedWorkBatch.self, from: Data(pair.body)).claims
        let rest = try await exchange(.post, claimsPath, "\(claimsPath)?wait=0", expect: 200, headers: keyed(key), body: try json(ClaimRequest(models: nil, max: 5)))
        let last = try EarshotJSON.decoder().decode(ClaimedWorkBatch.self, from: Data(rest.body)).claims
        #expect(first.count == 2 && last.count == 1 && Set((first + last).map(\.job.id)).count == 3)
        func delivery(_ work: ClaimedWork, token: Int64? = nil) -> CompletionReport {
            CompletionReport(lease: LeaseReference(token: token ?? work.lease.token, attempt: work.lease.attempt), transcript: Self.transcript(work.job.id))
        }
        let mixed = try await exchange(
            .post, completionsPath, completionsPath, expect: 200, headers: keyed(key),
            body: try json(CompletionBatch(completions: [delivery(first[0]), delivery(first[1], token: first[1].lease.token + 1)]))
        )
        let mixedResults = try EarshotJSON.decoder().decode(CompletionResults.self, from: Data(mixed.body)).results
        #expect(mixedResults.map(\.status) == [200, 409] && mixedResults[1].error?.code == "lease_stale")
        let foreign = try await exchange(
            .post, completionsPath, completionsPath, expect: 200, headers: keyed(otherKey), body: try json(CompletionBatch(completions: [delivery(last[0])]))
        )
        #expect(try EarshotJSON.decoder().decode(CompletionResults.self, from: Data(foreign.body)).results.map(\.status) == [403])
        var unknownJob = last[0].job
        unknownJob.id = .generate()
        let unknown = ClaimedWork(job: unknownJob, lease: last[0].lease)
        let rejected = try await exchange(
            .post, completionsPath, completionsPath, expect: 200, headers: keyed(key),
            body: try json(CompletionBatch(completions: [delivery(unknown), delivery(last[0]), delivery(first[1])]))
        )
        let rejectedResults = try EarshotJSON.decoder().decode(CompletionResults.self, from: Data(rejected.body)).results
        #expect(rejectedResults.map(\.status) == [409, 200, 200] && rejectedResults[0].error?.code == "job_cancelled")
        _ = try await exchange(
            .post, completionsPath, completionsPath, expect: 400, code: "duplicate_job", headers: keyed(key),
            body: try json(CompletionBatch(completions: [delivery(last[0]), delivery(last[0])]))
        )
        _ = try await exchange(.post, completionsPath, completionsPath, expect: 400, code: "invalid_batch", headers: keyed(key), body: try json(CompletionBatch(completions: [])))
        _ = try await exchange(.post, completionsPath, completionsPath, expect: 400, code: "invalid_json", headers: keyed(key), body: Array("{}".utf8))

        // A cancelled job's lease.
        _ = try await exchange(.post, "/api/v1/jobs", "/api/v1/jobs?filename=talk.wav", expect: 201, headers: [.contentType: "audio/wav"], body: Self.silentWAV())
        (id, lease) = try await claim()
        _ = try await exchange(.post, "/api/v1/jobs/{id}/cancel", "/api/v1/jobs/\(id)/cancel", expect: 200)
        try await report("fail", json(FailureReport(lease: lease, error: .engine("x"), retryable: false)), expect: 409, code: "job_cancelled")

        // Disable, enable, unregister, delete.
        let disabled = try await exchange(.post, "\(node)/disable", "\(nodes)/\(nodeID)/disable", expect: 200)
        #expect(disabled.json?["state"]?.string == "disabled")
        _ = try await exchange(.post, claimPath, "\(claimPath)?wait=0", expect: 204, headers: keyed(key), body: any)
        _ = try await exchange(.post, "\(node)/enable", "\(nodes)/\(nodeID)/enable", expect: 200)
        _ = try await exchange(.delete, "/api/v1/node", "/api/v1/node", expect: 204, headers: keyed(otherKey))
        _ = try await exchange(.delete, "/api/v1/node", "/api/v1/node", expect: 401, code: "unauthorized", headers: keyed(otherKey))
        _ = try await exchange(.delete, node, "\(nodes)/\(nodeID)", expect: 204)
        _ = try await exchange(.post, claimPath, "\(claimPath)?wait=0", expect: 401, code: "unauthorized", headers: keyed(key), body: any)

        // With an admin token, the admin routes ask for it.
        var configuration = ServerConfiguration()
        configuration.adminToken = "admin-secret"
        let guarded = try TestServer(configuration: configuration)
        defer { guarded.cleanUp() }
        _ = try await exchange(.get, nodes, nodes, expect: 401, code: "unauthorized", on: guarded)
        _ = try await exchange(.get, nodes, nodes, expect: 401, code: "unauthorized", headers: [.authorization: "Bearer wrong"], on: guarded)
        _ = try await exchange(.get, nodes, nodes, expect: 200, headers: [.authorization: "Bearer admin-secret"], on: guarded)

        #expect(recorder.problems.isEmpty, "responses disagree with openapi.yaml:\n\(recorder.problems.joined(separator: "\n"))")
    }
}

// MARK: - Document helpers

extension OpenAPIAgreementTests {
    static let httpMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// The document the server serves, parsed, with every mapping key as a string.
    static func document() throws -> [String: Any] {
        guard let parsed = try Yams.load(yaml: OpenAPIDocument.text), let document = normalised(parsed) as? [String: Any] else {
            throw DocumentError(message: "openapi.yaml is not a YAML mapping")
        }
        return document
    }

    /// Yams gives `[AnyHashable: Any]`, with unquoted `200` keys as integers; this makes every key a string.
    static func normalised(_ value: Any) -> Any {
        if let mapping = value as? [AnyHashable: Any] {
            var result: [String: Any] = [:]
            for (key, item) in mapping { result["\(key.base)"] = normalised(item) }
            return result
        }
        if let sequence = value as? [Any] { return sequence.map(normalised) }
        return value
    }

    static func documentedOperations(_ document: [String: Any]) -> [Endpoint] {
        let paths = document["paths"] as? [String: Any] ?? [:]
        return paths.flatMap { path, item -> [Endpoint] in
            let item = item as? [String: Any] ?? [:]
            return httpMethods.filter { item[$0] != nil }.map { Endpoint(method: $0.uppercased(), path: normalise(path)) }
        }
    }

    /// `/a/{id}`, `a/:id/` and `//a/{id}` all become `/a/{id}`.
    static func normalise(_ path: String) -> String {
        let components = path.split(separator: "/", omittingEmptySubsequences: true).map { component in
            component.hasPrefix(":") ? "{\(component.dropFirst())}" : String(component)
        }
        return "/" + components.joined(separator: "/")
    }

    /// Follows a local JSON pointer such as `#/components/schemas/Job`.
    static func resolve(_ reference: String, in document: [String: Any]) -> Any? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: Any = document
        for token in reference.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let mapping = node as? [String: Any], let next = mapping[key] {
                node = next
            } else if let sequence = node as? [Any], let index = Int(key), sequence.indices.contains(index) {
                node = sequence[index]
            } else {
                return nil
            }
        }
        return node
    }

    /// `value` itself, or what its `$ref` points to.
    static func dereferenced(_ value: Any?, in document: [String: Any]) -> [String: Any]? {
        guard let mapping = value as? [String: Any] else { return nil }
        if let reference = mapping["$ref"] as? String {
            return resolve(reference, in: document) as? [String: Any]
        }
        return mapping
    }

    static func parameters(_ value: Any?, document: [String: Any]) -> [[String: Any]] {
        (value as? [Any] ?? []).compactMap { dereferenced($0, in: document) }
    }

    static func collectReferences(_ node: Any, into references: inout [String]) {
        if let mapping = node as? [String: Any] {
            if let reference = mapping["$ref"] as? String { references.append(reference) }
            for value in mapping.values { collectReferences(value, into: &references) }
        } else if let sequence = node as? [Any] {
            for value in sequence { collectReferences(value, into: &references) }
        }
    }

    static func mediaType(_ contentType: String) -> String {
        (contentType.split(separator: ";").first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// What is wrong with `exchange` as an answer of the documented operation `endpoint`.
    static func conformance(of exchange: Exchange, to endpoint: Endpoint, in document: [String: Any]) -> [String] {
        let paths = document["paths"] as? [String: Any] ?? [:]
        guard let operation = (paths[endpoint.path] as? [String: Any])?[endpoint.method.lowercased()] as? [String: Any] else {
            return ["\(endpoint) is not documented"]
        }
        let responses = operation["responses"] as? [String: Any] ?? [:]
        guard let response = dereferenced(responses[String(exchange.status)] ?? responses["default"], in: document) else {
            return ["status \(exchange.status) is not documented for \(endpoint)"]
        }
        guard let content = response["content"] as? [String: Any] else {
            return exchange.body.isEmpty ? [] : ["status \(exchange.status) is documented without a body, but one was sent"]
        }
        let served = mediaType(exchange.headers[.contentType] ?? "")
        let wildcard = (served.split(separator: "/").first.map(String.init) ?? "") + "/*"
        guard let media = (content[served] ?? content[wildcard]) as? [String: Any] else {
            return ["Content-Type '\(served)' is not documented for \(exchange.status); documented: \(content.keys.sorted())"]
        }
        guard served == "application/json" else { return [] }
        guard let json = exchange.json else { return ["the body is not JSON: \(exchange.text.prefix(200))"] }
        guard let schema = media["schema"] else { return ["no schema for \(served)"] }
        var problems: [String] = []
        SchemaChecker(document: document).check(json, against: schema, at: "$", problems: &problems)
        return problems
    }

    // MARK: Fixtures

    /// 0.1 s of 16 kHz mono silence, so the upload has a real duration.
    static func silentWAV() -> [UInt8] {
        let samples = 1600
        let dataBytes = UInt32(samples * 2)
        func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
        func le16(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
        var bytes = Array("RIFF".utf8) + le32(36 + dataBytes) + Array("WAVE".utf8)
        bytes += Array("fmt ".utf8) + le32(16) + le16(1) + le16(1) + le32(16000) + le32(32000) + le16(2) + le16(16)
        bytes += Array("data".utf8) + le32(dataBytes) + [UInt8](repeating: 0, count: Int(dataBytes))
        return bytes
    }

    static func multipart(boundary: String, fields: [String: String], file: (name: String, bytes: [UInt8])?) -> [UInt8] {
        var body: [UInt8] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        if let file {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.name)\"\r\nContent-Type: audio/mp4\r\n\r\n".utf8)
            body += file.bytes + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return body
    }

    static func transcript(_ id: JobID) -> Transcript {
        Transcript(
            jobID: id, title: "talk.wav", source: "talk.wav", language: "en", model: "tiny.en",
            durationSeconds: 2.5, processingSeconds: 0.75, createdAt: Date(),
            segments: [
                Segment(
                    start: 0, end: 1.25, text: " Hello there.", avgLogprob: -0.25, noSpeechProb: 0.125,
                    words: [Word(start: 0, end: 0.5, text: " Hello", probability: 0.875), Word(start: 0.5, end: 1.25, text: " there.")]
                ),
                Segment(start: 1.25, end: 2.5, text: " Goodbye."),
            ]
        )
    }
}

struct DocumentError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// One operation: an upper-case method and a normalised path.
struct Endpoint: Hashable, Comparable, CustomStringConvertible {
    var method: String
    var path: String

    var description: String { "\(method) \(path)" }

    static func < (lhs: Endpoint, rhs: Endpoint) -> Bool { (lhs.path, lhs.method) < (rhs.path, rhs.method) }
}

// MARK: - A router to talk to

/// The real router over a fresh store in a temporary directory, answered in-process.
/// Sends requests through the router and collects every way a response disagrees with the
/// document (status, error code, schema), so one test reports all differences at once.
final class ConformanceRecorder {
    let server: TestServer
    let document: [String: Any]
    private(set) var problems: [String] = []

    init(server: TestServer, document: [String: Any]) {
        self.server = server
        self.document = document
    }

    func exchange(
        _ method: HTTPRequest.Method, _ template: String, _ uri: String, expect status: Int, code: String? = nil,
        headers: HTTPFields = [:], body: [UInt8] = [], on target: TestServer? = nil
    ) async throws -> Exchange {
        let result = try await (target ?? server).send(method, uri, headers: headers, body: body)
        let label = "\(method.rawValue) \(uri)"
        if result.status != status {
            problems.append("\(label) answered \(result.status), expected \(status): \(result.text.prefix(300))")
        }
        if let code, result.errorCode != code {
            problems.append("\(label) answered code \(result.errorCode ?? "none"), expected \(code)")
        }
        problems += OpenAPIAgreementTests.conformance(of: result, to: Endpoint(method: method.rawValue, path: template), in: document)
            .map { "\(label): \($0)" }
        return result
    }
}

struct TestServer {
    let directory: URL
    let store: SQLiteStore
    let media: MediaStore
    let routes: [Endpoint]
    let responder: RouterResponder<EarshotRequestContext>

    init(configuration: ServerConfiguration = ServerConfiguration()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-openapi-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        _ = EarshotMetrics.registry  // as the server does, before any metric handle is made
        store = try SQLiteStore(path: directory.appendingPathComponent("earshot.sqlite").path)
        media = try MediaStore(root: directory.appendingPathComponent("media", isDirectory: true))
        let router = EarshotServer.makeRouter(
            store: store, media: media, recognizers: [], signal: WorkSignal(), configuration: configuration
        )
        routes = router.routes.map { Endpoint(method: $0.method.rawValue, path: OpenAPIAgreementTests.normalise($0.path.description)) }
        responder = router.buildResponder()
    }

    func send(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: [UInt8] = []) async throws -> Exchange {
        let response = try await responder.respond(method, uri, headers: headers, body: body)
        let collector = BodyCollector()
        try await response.body.write(collector)
        return Exchange(status: response.status.code, headers: response.headers, body: collector.storage.bytes.withLock { $0 })
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Gathers a response body.
struct BodyCollector: ResponseBodyWriter {
    final class Storage: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }

    let storage = Storage()

    func write(_ buffer: ByteBuffer) async throws {
        storage.bytes.withLock { $0 += buffer.readableBytesView }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

struct Exchange {
    var status: Int
    var headers: HTTPFields
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body)) }
    var errorCode: String? { json?["error"]?["code"]?.string }
}

// MARK: - JSON and schemas

/// A parsed JSON value that keeps booleans, integers and other numbers apart.
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }

    var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    var array: [JSONValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    var numeric: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}

/// Checks JSON against the subset of JSON Schema the document uses. Objects are closed: a key
/// the schema does not list is a disagreement, unless `additionalProperties` allows it.
struct SchemaChecker {
    let document: [String: Any]

    func check(_ value: JSONValue, against schemaValue: Any, at path: String, problems: inout [String]) {
        guard let mapping = schemaValue as? [String: Any] else {
            problems.append("\(path): the schema is not a mapping")
            return
        }
        if let reference = mapping["$ref"] as? String {
            guard let target = OpenAPIAgreementTests.resolve(reference, in: document) else {
                problems.append("\(path): unresolved $ref \(reference)")
                return
            }
            check(value, against: target, at: path, problems: &problems)
            return
        }
        if let constant = mapping["const"], value.string != "\(constant)" {
            problems.append("\(path): expected \(constant), got \(value)")
        }
        if let choices = mapping["enum"] as? [Any], !choices.contains(where: { "\($0)" == value.string }) {
            problems.append("\(path): \(value) is not one of \(choices)")
        }
        switch mapping["type"] as? String ?? "" {
        case "object":
            guard case .object(let members) = value else { return problems.append("\(path): expected an object, got \(value)") }
            let properties = mapping["properties"] as? [String: Any] ?? [:]
            for name in mapping["required"] as? [Any] ?? [] where members["\(name)"] == nil {
                problems.append("\(path): required property '\(name)' is missing")
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let property = properties[name] {
                    check(member, against: property, at: "\(path).\(name)", problems: &problems)
                } else if let additional = mapping["additionalProperties"] as? [String: Any] {
                    check(member, against: additional, at: "\(path).\(name)", problems: &problems)
                } else if mapping["additionalProperties"] as? Bool != true {
                    problems.append("\(path): property '\(name)' is not documented")
                }
            }
        case "array":
            guard case .array(let elements) = value else { return problems.append("\(path): expected an array, got \(value)") }
            if let items = mapping["items"] {
                for (index, element) in elements.enumerated() {
                    check(element, against: items, at: "\(path)[\(index)]", problems: &problems)
                }
            }
        case "string":
            guard let text = value.string else { return problems.append("\(path): expected a string, got \(value)") }
            switch mapping["format"] as? String ?? "" {
            case "date-time" where EarshotJSON.parseTimestamp(text) == nil:
                problems.append("\(path): '\(text)' is not a date-time")
            case "uuid" where UUID(uuidString: text) == nil:
                problems.append("\(path): '\(text)' is not a UUID")
            default:
                break
            }
        case "integer":
            guard case .integer = value else { return problems.append("\(path): expected an integer, got \(value)") }
            checkRange(value, mapping, at: path, problems: &problems)
        case "number":
            guard value.numeric != nil else { return problems.append("\(path): expected a number, got \(value)") }
            checkRange(value, mapping, at: path, problems: &problems)
        case "boolean":
            guard case .bool = value else { return problems.append("\(path): expected a boolean, got \(value)") }
        case "":
            break
        case let other:
            problems.append("\(path): the checker does not know type '\(other)'")
        }
    }

    private func checkRange(_ value: JSONValue, _ schema: [String: Any], at path: String, problems: inout [String]) {
        guard let number = value.numeric else { return }
        if let minimum = (schema["minimum"] as? Int).map(Double.init) ?? schema["minimum"] as? Double, number < minimum {
            problems.append("\(path): \(number) is below the minimum \(minimum)")
        }
        if let maximum = (schema["maximum"] as? Int).map(Double.init) ?? schema["maximum"] as? Double, number > maximum {
            problems.append("\(path): \(number) is above the maximum \(maximum)")
        }
    }
}
