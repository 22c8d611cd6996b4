import EarshotCore
import EarshotServer
import Foundation
import Testing

@Suite("Configuration precedence")
struct ConfigurationLoaderTests {
    func yamlFile(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-config-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test("flags beat environment, environment beats YAML, YAML beats defaults")
    func precedence() throws {
        let file = try yamlFile("""
            port: 9000
            host: 0.0.0.0
            workers: 3
            model: base
            allowed_models: [tiny.en, base]
            """)
        let configuration = try ConfigurationLoader.load(
            configFile: file,
            environment: ["EARSHOT_PORT": "9100", "EARSHOT_WORKERS": "2", "UNRELATED": "x"],
            flags: ["port": "9200"]
        )
        #expect(configuration.port == 9200)  // flag
        #expect(configuration.workers == 2)  // environment over YAML
        #expect(configuration.host == "0.0.0.0")  // YAML over default
        #expect(configuration.model == "base")
        #expect(configuration.allowedModels == ["tiny.en", "base"])
        #expect(configuration.dataDirectory == "./earshot-data")  // default
        #expect(configuration.maxUploadBytes == 2 * 1024 * 1024 * 1024)
    }

    @Test("every key has one name in each layer")
    func environmentNames() throws {
        var environment: [String: String] = [:]
        for key in ConfigurationLoader.keys { environment["EARSHOT_" + key.uppercased()] = "" }
        #expect(environment["EARSHOT_DATA_DIR"] != nil)
        #expect(environment["EARSHOT_MAX_UPLOAD_BYTES"] != nil)
        let configuration = try ConfigurationLoader.load(configFile: nil, environment: ["EARSHOT_DATA_DIR": "/srv/earshot"], flags: [:])
        #expect(configuration.dataDirectory == "/srv/earshot")
    }

    @Test("the database comes from EARSHOT_DATABASE_URL (or --database); a URL that cannot work is a configuration problem")
    func databaseURL() throws {
        let url = "postgres://earshot:pw@db.example:5432/speech?sslmode=verify-full"
        let configuration = try ConfigurationLoader.load(configFile: nil, environment: ["EARSHOT_DATABASE_URL": url], flags: ["media_dir": "/srv/media"])
        #expect(configuration.databaseURL == url && configuration.mediaDirectory == "/srv/media")
        #expect(configuration.validationErrors().isEmpty)
        var broken = configuration
        broken.databaseURL = "postgres://db.example/speech?sslmode=sometimes"
        #expect(broken.validationErrors().contains { $0.hasPrefix("database_url:") && $0.contains("user") })
    }

    @Test("the engine is chosen by name in every layer; an unknown one is a configuration problem naming the choices")
    func engineChoice() throws {
        let configuration = try ConfigurationLoader.load(configFile: try yamlFile("engine: whisper.cpp\n"), environment: [:], flags: [:])
        #expect(configuration.engine == "whisper.cpp")
        #expect(configuration.validationErrors().isEmpty)
        let flagged = try ConfigurationLoader.load(configFile: nil, environment: ["EARSHOT_ENGINE": "whisper.cpp"], flags: ["engine": "faster-whisper"])
        #expect(flagged.engine == "faster-whisper")
        var unknown = ServerConfiguration()
        unknown.engine = "whisper.rs"
        #expect(unknown.validationErrors() == ["engine must be faster-whisper | whisper.cpp, got 'whisper.rs'"])
    }

    @Test("cors_origins takes a comma-separated list of origins; anything else is a configuration problem")
    func corsOrigins() throws {
        let configuration = try ConfigurationLoader.load(
            configFile: nil, environment: ["EARSHOT_CORS_ORIGINS": "https://app.example, http://localhost:3000"], flags: [:]
        )
        #expect(configuration.corsOrigins == ["https://app.example", "http://localhost:3000"])
        #expect(configuration.validationErrors().isEmpty)
        var bad = configuration
        bad.corsOrigins = ["https://app.example/path", "ftp://files.example", "https://user@app.example", "*"]
        #expect(bad.validationErrors().count == 3)
    }

    @Test("malformed values and unknown keys are refused with a message naming them")
    func errors() throws {
        #expect(throws: (any Error).self) {
            _ = try ConfigurationLoader.load(configFile: nil, environment: ["EARSHOT_PORT": "eighty"], flags: [:])
        }
        do {
            _ = try ConfigurationLoader.load(configFile: try yamlFile("prot: 80\n"), environment: [:], flags: [:])
            Issue.record("a misspelt key was accepted")
        } catch {
            #expect("\(error)".contains("unknown key 'prot'"))
        }
        do {
            _ = try ConfigurationLoader.load(configFile: try yamlFile("- just\n- a list\n"), environment: [:], flags: [:])
            Issue.record("a YAML list was accepted")
        } catch {
            #expect("\(error)".contains("must be a mapping"))
        }
        var invalid = ServerConfiguration()
        invalid.port = 70000
        invalid.workers = -1
        #expect(invalid.validationErrors().count == 2)
    }

    @Test("YAML that Yams's own conversion would crash on or blow up is refused in words; scalars keep what was written")
    func hostileYAML() throws {
        for (text, reason) in [
            ("? - a\n  - b\n: 1\n", "a key must be plain text"),
            ("plugins:\n? [x]\n: y\n", "a key must be plain text"),
            ("a: [\n", "is not valid YAML"),
        ] {
            do {
                _ = try ConfigurationFile.parse(text, name: "earshot.yaml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.hasPrefix("earshot.yaml") && error.description.contains(reason), "\(text): \(error)")
            }
        }
        let big = "list: [" + Array(repeating: "x", count: ConfigurationFile.maxNodes).joined(separator: ", ") + "]\n"
        #expect(throws: ConfigurationInputError.self) { _ = try ConfigurationFile.parse(big, name: "earshot.yaml") }
        // Each level uses the one before ten times: 10^7 values from a few lines.
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for (level, previous) in zip("bcdefg", "abcdef") {
            bomb += "\(level): &\(level) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        let clock = ContinuousClock()
        let started = clock.now
        do {
            _ = try ConfigurationFile.parse(bomb, name: "earshot.yaml")
            Issue.record("an alias bomb was accepted")
        } catch {
            #expect(error.description.contains("too large"), "\(error)")
        }
        #expect(clock.now - started < .seconds(10), "the alias bomb took \(clock.now - started)")
        #expect(try ConfigurationFile.parse("a: &x 1\nb: *x\n", name: "f").values == ["a": "1", "b": "1"], "a modest alias is fine")
        let file = try ConfigurationFile.parse("mode: '0755'\nport: 8080\nflag: yes\nempty:\nlist: [a, b]\n", name: "f")
        #expect(file.values == ["mode": "0755", "port": "8080", "flag": "yes", "empty": "", "list": "a,b"])
        #expect(try ConfigurationFile.parse("", name: "f") == ConfigurationFile(values: [:], plugins: []))
    }
}
