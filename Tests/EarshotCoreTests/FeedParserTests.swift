import Foundation
@testable import EarshotCore
import Testing

@Suite("Podcast feed parsing")
struct FeedParserTests {
    static let rss = """
        <?xml version="1.0" encoding="UTF-8"?>
        <rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="https://podcastindex.org/namespace/1.0"
             xmlns:content="http://purl.org/rss/1.0/modules/content/">
          <channel>
            <title>Readings &amp; Rest</title>
            <link>https://example.org/show</link>
            <itunes:author>Jane Reader</itunes:author>
            <item>
              <title>Chapter One</title>
              <guid isPermaLink="false">ep-1</guid>
              <pubDate>Tue, 03 Nov 2026 09:30:00 +0000</pubDate>
              <itunes:duration>01:02:03</itunes:duration>
              <enclosure url="https://cdn.example.org/1.mp3" type="audio/mpeg" length="12345"/>
              <description>Short notes</description>
              <content:encoded><![CDATA[<p>Long <b>notes</b></p>]]></content:encoded>
              <podcast:transcript url="https://example.org/1.vtt" type="text/vtt"/>
            </item>
            <item>
              <title>Chapter Two</title>
              <pubDate>Wed, 4 Nov 2026 10:00:00 GMT</pubDate>
              <itunes:duration>754</itunes:duration>
              <enclosure url="https://cdn.example.org/2.mp3" type="audio/mpeg"/>
            </item>
          </channel>
        </rss>
        """

    @Test("RSS 2.0 with iTunes and Podcasting 2.0 tags: every field an episode needs")
    func rssFeed() throws {
        let feed = try FeedParser.parse(Data(Self.rss.utf8))
        #expect(feed.title == "Readings & Rest" && feed.link == "https://example.org/show" && feed.author == "Jane Reader")
        #expect(feed.episodes.count == 2)
        let first = feed.episodes[0]
        #expect(first.guid == "ep-1" && first.title == "Chapter One" && first.durationSeconds == 3723)
        #expect(first.published == Date(timeIntervalSince1970: 1_793_698_200))
        #expect(first.enclosure == .init(url: "https://cdn.example.org/1.mp3", type: "audio/mpeg", length: 12345))
        #expect(first.notes == "<p>Long <b>notes</b></p>", "content:encoded wins over description")
        #expect(first.transcripts == [.init(url: "https://example.org/1.vtt", type: "text/vtt")])
        let second = feed.episodes[1]
        #expect(second.guid == "https://cdn.example.org/2.mp3", "no guid: the enclosure URL identifies it")
        #expect(second.durationSeconds == 754 && second.published != nil && second.transcripts.isEmpty)
    }

    @Test("Atom entries with enclosure links")
    func atomFeed() throws {
        let atom = """
            <feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Show</title><author><name>A. Host</name></author>
            <link href="https://example.org/atom" rel="alternate"/>
            <entry><id>urn:uuid:1</id><title>Entry</title><updated>2026-11-01T12:00:00Z</updated>
            <link rel="enclosure" href="https://cdn.example.org/e.m4a" type="audio/mp4" length="99"/><summary>Sum</summary></entry></feed>
            """
        let feed = try FeedParser.parse(Data(atom.utf8))
        #expect(feed.title == "Atom Show" && feed.author == "A. Host" && feed.link == "https://example.org/atom")
        #expect(feed.episodes.map(\.guid) == ["urn:uuid:1"] && feed.episodes.first?.enclosure?.url == "https://cdn.example.org/e.m4a")
        #expect(feed.episodes.first?.notes == "Sum" && feed.episodes.first?.published == Date(timeIntervalSince1970: 1_793_534_400))
    }

    @Test("hostile or wrong documents are refused with a reason, quickly", arguments: [
        ("billion laughs", """
            <?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
            <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><rss><channel><title>&lol3;</title></channel></rss>
            """, "entities"),
        ("external entity", """
            <?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss><channel><title>&xxe;</title></channel></rss>
            """, "entities"),
        ("an HTML page", "<html><head><title>Not found</title></head><body>Oops</body></html>", "HTML page"),
        ("not XML", "{\"error\": \"rate limited\"}", "not well-formed"),
        ("deep nesting", String(repeating: "<a>", count: 5000) + String(repeating: "</a>", count: 5000), "deeper than"),
    ])
    func hostile(name: String, document: String, reason: String) {
        let clock = ContinuousClock()
        let started = clock.now
        #expect(throws: FeedError.self, "\(name)") { _ = try FeedParser.parse(Data(document.utf8)) }
        do {
            _ = try FeedParser.parse(Data(document.utf8))
        } catch {
            #expect(error.description.contains(reason), "\(name): \(error)")
        }
        #expect(clock.now - started < .seconds(2), "\(name) took too long")
    }

    @Test("a body over the size limit is refused before parsing")
    func oversize() {
        let huge = Data(repeating: 0x20, count: FeedParser.maxBytes + 1)
        #expect(throws: FeedError("the feed is larger than 10 MB")) { _ = try FeedParser.parse(huge) }
    }

    @Test("durations and dates in the forms feeds use")
    func formats() {
        #expect(FeedParser.duration("45") == 45 && FeedParser.duration("2:05") == 125 && FeedParser.duration("1:00:01") == 3601)
        #expect(FeedParser.duration("soon") == nil && FeedParser.duration("1:2:3:4") == nil)
        #expect(FeedParser.date("Mon, 02 Nov 2026 09:00:00 +0100") == Date(timeIntervalSince1970: 1_793_606_400))
        #expect(FeedParser.date("2026-11-02T08:00:00Z") == Date(timeIntervalSince1970: 1_793_606_400))
        #expect(FeedParser.date("yesterday") == nil)
        // The fuzzer's find: DateFormatter trapped on this (a letter, a combining mark, bad bytes).
        let hostile = String(decoding: Data(base64Encoded: "Ztubm5ubm5ubmzxuAAAAay8=")!, as: UTF8.self)
        #expect(FeedParser.date(hostile) == nil)
        #expect(FeedParser.date("Mon, 02 Nov 2026 09:00:00 +0100\u{06DB}") == nil)
    }

    @Test("bytes that are not the encoding they claim are refused in words (XMLParser would crash the process on them); other encodings are read")
    func encodings() throws {
        #expect(throws: FeedError("the feed is not valid UTF-8 (and declares no other encoding)")) {
            _ = try FeedParser.parse(Data([0x3C, 0xFF, 0x65, 0x0A, 0x0A]))
        }
        #expect(throws: FeedError.self) { _ = try FeedParser.parse(Data("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><\u{FF}".utf8) + Data([0xC3])) }
        #expect(throws: FeedError("the feed's encoding 'ebcdic' is not supported; use UTF-8")) {
            _ = try FeedParser.parse(Data("<?xml version=\"1.0\" encoding=\"EBCDIC\"?><rss/>".utf8))
        }
        let latin = "<?xml version='1.0' encoding='ISO-8859-1'?><rss><channel><title>Caf\u{E9} talk</title></channel></rss>"
        #expect(try FeedParser.parse(try #require(latin.data(using: .isoLatin1))).title == "Caf\u{E9} talk")
        let utf16 = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss><channel><title>Gr\u{FC}\u{DF}e</title></channel></rss>"
        #expect(try FeedParser.parse(try #require(utf16.data(using: .utf16))).title == "Gr\u{FC}\u{DF}e")
        let withMark = Data([0xEF, 0xBB, 0xBF]) + Data("<rss><channel><title>Marked</title></channel></rss>".utf8)
        #expect(try FeedParser.parse(withMark).title == "Marked")
    }

    @Test("the XML reader: namespaces by scope, CDATA, entities and character references, a document type skipped")
    func xmlReader() throws {
        let document = """
            <?xml version="1.0"?>
            <!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
            <?xml-stylesheet type="text/xsl" href="/feed.xsl"?>
            <rss xmlns:it="http://www.itunes.com/dtds/podcast-1.0.dtd"><!-- a comment --><channel>
              <title>Tom &amp; Jerry &#233;&#x2019;s</title>
              <item><title><![CDATA[<b>Bold</b> & raw]]></title><guid>a</guid><it:duration>1:00</it:duration>
                <x:duration xmlns:x="urn:other">99</x:duration></item>
              <item xmlns:it="urn:rebound"><guid>b</guid><it:duration>2:00</it:duration></item>
            </channel></rss>
            """
        let feed = try FeedParser.parse(Data(document.utf8))
        #expect(feed.title == "Tom & Jerry \u{E9}\u{2019}s")
        #expect(feed.episodes.map(\.title) == ["<b>Bold</b> & raw", ""])
        #expect(feed.episodes.map(\.durationSeconds) == [60, nil], "a prefix means what its nearest declaration says")
        for (document, reason) in [
            ("<?A?>", "no root element"),
            ("<rss><channel></rss>", "</rss> closes <channel>"),
            ("<rss>", "<rss> is never closed"),
            ("<rss/><rss/>", "a second root element"),
            ("<rss>&nbsp;</rss>", "unknown entity &nbsp;"),
            ("<rss a=1/>", "must be quoted"),
            ("<rss a='1' a='2'/>", "attribute a twice"),
            ("<rss><!-- open", "comment is never finished"),
            ("<rss>&#0;</rss>", "unknown entity"),
            ("x<rss/>", "text outside the root element"),
        ] {
            do {
                _ = try FeedParser.parse(Data(document.utf8))
                Issue.record("accepted: \(document)")
            } catch {
                #expect(error.description.contains(reason), "\(document): \(error)")
            }
        }
    }
}
