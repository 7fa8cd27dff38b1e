import Testing

@testable import PlatformConfig

@Suite struct TOMLKeyLocatorTests {
    @Test func findsHeadersPlainDottedAndQuotedKeys() {
        let locator = TOMLKeyLocator(
            """
            # comment with key = value
            title = "x"            # line 2
            [api]
            listen = "a"
            "quoted key" = 1
            'literal' = 2
            [ platform . sub ]
            domain = "d"
            a.b.c = true
            [[array]]
            item = 1
            """
        )
        #expect(locator.lines[["title"]] == 2)
        #expect(locator.lines[["api"]] == 3)
        #expect(locator.lines[["api", "listen"]] == 4)
        #expect(locator.lines[["api", "quoted key"]] == 5)
        #expect(locator.lines[["api", "literal"]] == 6)
        #expect(locator.lines[["platform", "sub"]] == 7)
        #expect(locator.lines[["platform", "sub", "domain"]] == 8)
        #expect(locator.lines[["platform", "sub", "a", "b", "c"]] == 9)
        #expect(locator.lines[["array", "item"]] == 11)
        #expect(locator.lines[["comment with key"]] == nil)
    }

    @Test func skipsMultiLineValuesThatLookLikeKeys() {
        let locator = TOMLKeyLocator(
            """
            [mail]
            sendmail = [
              "/usr/sbin/sendmail",  # fake = comment
              "-oX=1",
              "]"
            ]
            body = \"\"\"
            fake = "inside a string"
            [fake]
            \"\"\"
            literal = '''
            other = 1
            '''
            escaped = "a \\" b = c"
            from = "x"
            """
        )
        #expect(locator.lines[["mail", "sendmail"]] == 2)
        #expect(locator.lines[["mail", "body"]] == 7)
        #expect(locator.lines[["mail", "literal"]] == 11)
        #expect(locator.lines[["mail", "escaped"]] == 14)
        #expect(locator.lines[["mail", "from"]] == 15)
        #expect(locator.lines[["fake"]] == nil)
        #expect(locator.lines[["mail", "fake"]] == nil)
        #expect(locator.lines[["mail", "other"]] == nil)
    }

    @Test func recordsInlineTableKeysAndFallsBackToTheEnclosingTable() {
        let locator = TOMLKeyLocator("\napi = { listen = \"a\", nested = { deep = 1 } }\n[log]\n")
        #expect(locator.lines[["api"]] == 2)
        #expect(locator.lines[["api", "nested", "deep"]] == 2)
        #expect(locator.line(of: ["log", "level"]) == 3)
        #expect(locator.line(of: ["nowhere"]) == nil)
    }

    @Test func countsLinesWithWindowsLineEndings() {
        let locator = TOMLKeyLocator("[api]\r\n\r\nlisten = 1\r\n")
        #expect(locator.lines[["api", "listen"]] == 3)
    }
}
