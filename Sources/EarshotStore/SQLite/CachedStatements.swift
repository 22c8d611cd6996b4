import GRDB

extension Database {
    /// Runs `sql` through the connection's statement cache. Preparing a statement is most of the
    /// cost of a small queue transaction (SQLite's parser plus GRDB's authorizer, which works out
    /// the tables it touches), so every hot-path statement is prepared once per connection.
    func executeCached(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    /// The first row of a cached statement's result, or nil.
    func fetchOneCached(sql: String, arguments: StatementArguments = StatementArguments()) throws -> Row? {
        try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    /// All rows of a cached statement's result.
    func fetchAllCached(sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Row] {
        try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }
}
