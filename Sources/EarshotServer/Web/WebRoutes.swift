import EarshotCore
import EarshotStore
import Foundation
import Hummingbird

/// The web UI: server-rendered pages (escaped by the templates) plus small ES modules that make
/// them live. Every action goes through the same `/api/v1` a script would use.
struct WebRoutes: Sendable {
    let store: any Store
    let media: MediaStore
    let configuration: ServerConfiguration
    let plugins: PluginHost?
    let assets: WebAssets
    let streams: StreamManager
    let gate: AccountGate

    static let pageSize = 50

    /// The browser's pages and files: HTML for people, so not part of the versioned API.
    static let paths: [RouterPath] = [
        "/", "/jobs", "/jobs/{id}", "/transcripts/{id}", "/search", "/nodes", "/settings", "/ui/static/{file}", "/live", "/drafts/{id}",
        "/login", "/account", "/users",
    ]

    func register(on router: Router<EarshotRequestContext>) {
        router.get(Self.paths[0]) { _, context in try await dashboard(context) }
        router.get(Self.paths[1]) { request, context in try await jobs(request, context: context) }
        router.get(Self.paths[2]) { _, context in try await page(context) { try await jobDetail(try JobRoutes.jobID(context), context: context) } }
        router.get(Self.paths[3]) { request, context in
            try await page(context) { try await transcript(try JobRoutes.jobID(context), request: request, context: context) }
        }
        router.get(Self.paths[4]) { request, context in try await search(request, context: context) }
        router.get(Self.paths[5]) { _, context in try await nodes(context) }
        router.get(Self.paths[6]) { _, context in
            try render("settings", try SettingsView(configuration: configuration, plugins: plugins?.status ?? []), context)
        }
        router.get(Self.paths[7]) { _, context in
            guard let response = assets.staticFile(context.parameters.get("file") ?? "") else {
                throw HTTPError(.notFound, message: "no such file")
            }
            return response
        }
        router.get(Self.paths[8]) { request, context in try await live(request, context: context) }
        router.get(Self.paths[9]) { _, context in
            try await page(context) {
                let draft = try await DraftAccess.readable(try DraftRoutes.draftID(context), context: context, store: store)
                return try render("draft", DraftPageView(draft, latestSeq: try await store.latestEventSeq()), context)
            }
        }
        router.get(Self.paths[10]) { request, context in try await login(request, context: context) }
        router.get(Self.paths[11]) { _, context in try await account(context) }
        router.get(Self.paths[12]) { _, context in
            try render("users", UsersView(users: try await store.users(), me: context.principal.user?.id, accountsOff: gate.isOpen), context)
        }
    }

    /// The caller's own page; without accounts there is no one to show but the local user.
    private func account(_ context: EarshotRequestContext) async throws -> Response {
        guard let user = context.principal.user else {
            return try render("error", [
                "heading": "No accounts yet",
                "message": "This server runs without accounts: everyone who reaches it is its user. An admin turns them on by adding the first user under Users.",
            ], context)
        }
        let keys = try await store.apiKeys(userId: user.id)
        return try render("account", AccountView(user: user, viaSession: context.session != nil, keys: keys), context)
    }

    /// A page, with the signed-in user's name, sign-out button and CSRF token in its header.
    private func render(_ template: String, _ view: Any, _ context: EarshotRequestContext) throws -> Response {
        try assets.render(template, view, account: PageAccount(context: context, gate: gate))
    }

    private func login(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let next = request.uri.queryParameters["next"].map(String.init) ?? "/"
        // Only a path on this server: never an open redirect.
        let safeNext = next.hasPrefix("/") && !next.hasPrefix("//") && !next.contains("\\") ? next : "/"
        return try render("login", LoginView(next: safeNext, setupPending: gate.setupPending, open: gate.isOpen), context)
    }

    private func live(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let latestSeq = try await store.latestEventSeq()
        let session = parameters["session"].map(String.init) ?? ""
        let cursor = parameters["cursor"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let sessionId = session.isEmpty ? nil : session
        let owner = context.principal.jobsVisibleTo
        let page: DraftPage
        do {
            page = try await store.drafts(sessionId: sessionId, ownedBy: owner, limit: Self.pageSize, cursor: cursor)
        } catch StoreError.invalidCursor {
            page = try await store.drafts(sessionId: sessionId, ownedBy: owner, limit: Self.pageSize, cursor: nil)
        }
        var next: String?
        if let cursor = page.nextCursor {
            var components = URLComponents()
            components.path = "/live"
            components.queryItems = [("session", session), ("cursor", cursor)].filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) }
            next = components.string
        }
        var rows: [LiveView.StreamRow] = []
        // Stream sources are the server's configuration: admins' (as in the API).
        for source in context.principal.has(.admin) ? try await store.streams() : [] {
            let status = await streams.status(of: source)
            rows.append(LiveView.StreamRow(
                id: source.id, name: source.name, url: source.maskedURL, state: status.state.rawValue, enabled: source.enabled,
                restarts: status.restarts, stalls: status.stalls, lastError: status.lastError ?? "", sessionId: source.sessionId,
                diarize: source.diarize
            ))
        }
        return try render("live", LiveView(
            streams: rows, drafts: page.drafts.map(DraftRow.init), session: session, nextPage: next, latestSeq: latestSeq,
            fileSources: configuration.streamFileSources, canLabelSpeakers: streams.canLabelSpeakers
        ), context)
    }

    /// Pages answer missing jobs and transcripts with a page in words, not the API's JSON.
    private func page(_ context: EarshotRequestContext, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as StoreError {
            var response = try render("error", ["heading": "Not found", "message": error.description], context)
            response.status = .notFound
            return response
        } catch let error as APIError {
            var response = try render("error", ["heading": "Not found", "message": error.message], context)
            response.status = error.status
            return response
        }
    }

    private func dashboard(_ context: EarshotRequestContext) async throws -> Response {
        let latestSeq = try await store.latestEventSeq()
        let owner = context.principal.jobsVisibleTo
        let running = try await store.jobs(JobQuery(states: [.running], limit: 200, visibleTo: owner)).jobs
        let instance = configuration.resolvedInstanceName
        let view = DashboardView(
            counts: try await store.stateCounts(), running: running,
            builtinHolders: (0..<configuration.workers).map { "builtin:\(instance):\($0 + 1)" },
            nodes: try await nodesWithState(), recent: try await store.jobs(JobQuery(limit: 10, visibleTo: owner)).jobs, latestSeq: latestSeq
        )
        return try render("dashboard", view, context)
    }

    private func jobs(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let latestSeq = try await store.latestEventSeq()
        let stateName = parameters["state"].map(String.init) ?? ""
        let from = parameters["from"].map(String.init) ?? ""
        let to = parameters["to"].map(String.init) ?? ""
        var query = JobQuery(limit: Self.pageSize, cursor: parameters["cursor"].map(String.init).flatMap { $0.isEmpty ? nil : $0 })
        query.visibleTo = context.principal.jobsVisibleTo
        var problems: [String] = []
        if let state = JobState(rawValue: stateName) { query.states = [state] } else if !stateName.isEmpty { problems.append("unknown state '\(stateName)'") }
        if !from.isEmpty {
            if let date = ISO8601Timestamp.parseDateOrTimestamp(from) { query.createdFrom = date } else { problems.append("'\(from)' is not a date") }
        }
        if !to.isEmpty {
            // "To" is inclusive of the whole day picked.
            if let date = ISO8601Timestamp.parseDateOrTimestamp(to) { query.createdBefore = date.addingTimeInterval(86_400) } else { problems.append("'\(to)' is not a date") }
        }
        var page = JobPage(jobs: [], nextCursor: nil)
        do {
            page = try await store.jobs(query)
        } catch StoreError.invalidCursor {
            problems.append("that page no longer exists; showing the newest jobs")
            query.cursor = nil
            page = try await store.jobs(query)
        }
        var next: String?
        if let cursor = page.nextCursor {
            var components = URLComponents()
            components.path = "/jobs"
            components.queryItems = [("state", stateName), ("from", from), ("to", to), ("cursor", cursor)]
                .filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) }
            next = components.string
        }
        let view = JobsView(
            models: configuration.allowedModels.map { JobsView.Model(name: $0, isDefault: $0 == configuration.model) },
            languages: JobsView.commonLanguages,
            states: JobState.allCases.map { JobsView.StateOption(name: $0.rawValue, selected: $0.rawValue == stateName) },
            from: from, to: to, filtered: !stateName.isEmpty || !from.isEmpty || !to.isEmpty,
            error: problems.isEmpty ? nil : "Filter ignored: " + problems.joined(separator: "; "),
            jobs: page.jobs.map(JobRowView.init), nextPage: next, latestSeq: latestSeq
        )
        return try render("jobs", view, context)
    }

    private func jobDetail(_ id: JobID, context: EarshotRequestContext) async throws -> Response {
        let latestSeq = try await store.latestEventSeq()
        let job = try await JobAccess.readable(id, context: context, store: store)
        let events = try await store.events(after: 0, filter: .all, correlationId: id.rawValue, limit: 500)
            .filter { $0.type != .jobProgress && $0.type != .jobSegment }
        let sharing = gate.isOpen ? nil : ShareSectionView(
            shares: try await store.jobShares(id), canChange: context.principal.mayChange(jobOwnedBy: job.ownerId)
        )
        return try render(
            "job", JobDetailView(job: job, attempts: try await store.attempts(of: id), events: events, latestSeq: latestSeq, sharing: sharing), context
        )
    }

    private func transcript(_ id: JobID, request: Request, context: EarshotRequestContext) async throws -> Response {
        let job = try await JobAccess.readable(id, context: context, store: store)
        guard let transcript = try await store.transcript(of: id) else { throw StoreError.transcriptNotFound(id) }
        let startAt = request.uri.queryParameters["t"].flatMap { Double(String($0)) }.map { max(0, $0) } ?? 0
        let hasMedia = job.media.removedAt == nil && media.contains(job.media.sha256)
        return try render("transcript", TranscriptView(transcript: transcript, hasMedia: hasMedia, startAt: startAt.isFinite ? startAt : 0), context)
    }

    private func search(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let query = parameters["q"].map(String.init) ?? ""
        var view = SearchView(query: query, searched: false, summary: "", error: nil, hits: [], nextPage: nil)
        guard !query.trimmingCharacters(in: .whitespaces).isEmpty else { return try render("search", view, context) }
        do {
            var terms = try SearchTerms(parsing: query)
            terms.visibleTo = context.principal.jobsVisibleTo
            let cursor = parameters["cursor"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            let page = try await store.searchTranscripts(terms, limit: 20, cursor: cursor)
            view.searched = true
            view.hits = page.hits.map {
                SearchView.HitView(
                    jobId: $0.jobId.rawValue, segment: $0.segment, start: $0.start, time: WebFormat.clock($0.start), title: $0.title,
                    snippetHTML: SnippetPart.html($0.snippet)
                )
            }
            view.summary = page.hits.isEmpty ? "Nothing found for “\(query)”." : "Best matches first."
            if let next = page.nextCursor {
                var components = URLComponents()
                components.path = "/search"
                components.queryItems = [URLQueryItem(name: "q", value: query), URLQueryItem(name: "cursor", value: next)]
                view.nextPage = components.string
            }
        } catch let error as SearchError {
            view.error = error.description
        } catch StoreError.invalidCursor {
            view.error = "That page of results no longer exists; search again."
        }
        return try render("search", view, context)
    }

    private func nodes(_ context: EarshotRequestContext) async throws -> Response {
        let host = configuration.host == "0.0.0.0" || configuration.host == "::" ? "HOST" : configuration.host
        return try render("nodes", NodesView(serverURL: "http://\(host):\(configuration.port)", nodes: try await nodesWithState()), context)
    }

    private func nodesWithState() async throws -> [(node: Node, state: NodeState)] {
        let now = Date()
        var result: [(node: Node, state: NodeState)] = []
        for node in try await store.nodes() {
            let holds = !(try await store.runningJobs(heldBy: node.leaseHolder)).isEmpty
            result.append((node, node.state(now: now, heartbeatTimeoutSeconds: configuration.nodeHeartbeatTimeoutSeconds, holdsJobs: holds)))
        }
        return result
    }
}
