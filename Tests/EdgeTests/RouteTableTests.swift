import Edge
import Logging
import Testing

@Suite("Route table: hosts, aliases, platform names, and state kept across rebuilds")
struct RouteTableTests {
    let logger = Logger(label: "route-test")

    @Test("host names are matched without case, port or trailing dot; IP literals and junk never match")
    func normalisation() {
        #expect(RouteTable.normalise(host: "Web.Shop.Apps.Example.com:8443") == "web.shop.apps.example.com")
        #expect(RouteTable.normalise(host: "shop.example.com.") == "shop.example.com")
        #expect(RouteTable.normalise(host: "[::1]:80") == nil)
        #expect(RouteTable.normalise(host: "shop.example.com:http") == nil)
        #expect(RouteTable.normalise(host: "a b.example.com") == nil)
        #expect(RouteTable.normalise(host: "") == nil)
    }

    @Test("aliases follow their deployment; the platform's own names win over apps; unknown aliases are dropped")
    func aliasesAndPlatformNames() {
        let store = RouteTableStore(platform: ["console.paastech.test": "127.0.0.1:8082"], maxBodyBytes: 1024, logger: logger)
        store.updateAppRoutes([
            .init(host: "web.shop.apps.test", deploymentID: "d1", backends: ["10.88.0.2:8080", "10.88.0.3:8080"]),
            .init(host: "console.paastech.test", deploymentID: "d2", backends: ["10.88.0.9:8080"]),
        ], version: 7)
        store.updateAliases([
            .init(host: "shop.apps.test", deploymentID: "d1"),
            .init(host: "www.shop.example", deploymentID: "d1"),
            .init(host: "gone.example", deploymentID: "d-missing"),
        ])
        let table = store.current
        #expect(table.version == 7)
        let shop = table.pool(forHost: "web.shop.apps.test")
        #expect(shop?.backends.map(\.address) == ["10.88.0.2:8080", "10.88.0.3:8080"])
        #expect(table.pool(forHost: "shop.apps.test") === shop)
        #expect(table.pool(forHost: "WWW.shop.example") === shop)
        #expect(table.pool(forHost: "gone.example") == nil)
        #expect(table.pool(forHost: "console.paastech.test")?.backends.map(\.address) == ["127.0.0.1:8082"])
        #expect(store.isRouted("shop.apps.test") && !store.isRouted("other.apps.test"))
    }

    @Test("a rebuild keeps the pool object when its backends did not change, and the backends when they stay")
    func rebuildKeepsState() {
        let store = RouteTableStore(platform: [:], maxBodyBytes: 1024, logger: logger)
        store.updateAppRoutes([.init(host: "a.apps.test", deploymentID: "d1", backends: ["10.88.0.2:8080"]),
                               .init(host: "b.apps.test", deploymentID: "d2", backends: ["10.88.0.4:8080"])], version: 1)
        let before = store.current
        store.updateAppRoutes([.init(host: "a.apps.test", deploymentID: "d1", backends: ["10.88.0.2:8080"]),
                               .init(host: "b.apps.test", deploymentID: "d2", backends: ["10.88.0.4:8080", "10.88.0.5:8080"])], version: 2)
        let after = store.current
        #expect(after.pool(forHost: "a.apps.test") === before.pool(forHost: "a.apps.test"))
        #expect(after.pool(forHost: "b.apps.test") !== before.pool(forHost: "b.apps.test"))
        #expect(after.pool(forHost: "b.apps.test")?.backends.first === before.pool(forHost: "b.apps.test")?.backends.first)
        // A route without instances stays routed (the edge answers 503, not 404).
        store.updateAppRoutes([.init(host: "a.apps.test", deploymentID: "d1", backends: [])], version: 3)
        #expect(store.current.pool(forHost: "a.apps.test")?.backends.isEmpty == true)
        #expect(store.current.pool(forHost: "b.apps.test") == nil)
    }

    @Test("a deployment's own body limit and sleep state reach its pool; a change of either makes a new pool")
    func perDeploymentSettings() {
        let store = RouteTableStore(platform: [:], maxBodyBytes: 1024, logger: logger)
        store.updateAppRoutes([.init(host: "a.apps.test", deploymentID: "d1", backends: ["10.88.0.2:8080"], sleeps: true, maxBodyBytes: 64),
                               .init(host: "b.apps.test", deploymentID: "d2", backends: ["10.88.0.4:8080"])], version: 1)
        let a = store.current.pool(forHost: "a.apps.test")
        #expect(a?.maxBodyBytes == 64 && a?.sleeps == true && a?.asleep == false)
        #expect(store.current.pool(forHost: "b.apps.test")?.maxBodyBytes == 1024)
        store.updateAppRoutes([.init(host: "a.apps.test", deploymentID: "d1", backends: [], sleeps: true, asleep: true, maxBodyBytes: 64)],
                              version: 2)
        #expect(store.current.pool(forHost: "a.apps.test")?.asleep == true)
    }

    @Test("loaded once both pomegranate's routes and the API's aliases have come, empty ones too; else false at the deadline")
    func loadedWhenBothSourcesArrived() async {
        let store = RouteTableStore(platform: [:], maxBodyBytes: 1024, logger: logger)
        #expect(!store.isLoaded)
        #expect(await store.waitUntilLoaded(within: .milliseconds(50)) == false)
        store.updateAppRoutes([], version: 1)
        #expect(!store.isLoaded, "the aliases have not come")
        let waiting = Task { await store.waitUntilLoaded(within: .seconds(10)) }
        try? await Task.sleep(for: .milliseconds(30))
        store.updateAliases([])
        #expect(await waiting.value)
        #expect(store.isLoaded)
    }

    @Test("a request held for a waking deployment gets its pool as soon as a backend appears, or nil at the deadline")
    func waitingForBackends() async {
        let store = RouteTableStore(platform: [:], maxBodyBytes: 1024, logger: logger)
        store.updateAppRoutes([.init(host: "a.apps.test", deploymentID: "d1", backends: [], sleeps: true, asleep: true)], version: 1)
        async let woken = store.backends(ofDeployment: "d1", within: .seconds(10))
        try? await Task.sleep(for: .milliseconds(100))
        store.updateAppRoutes([.init(host: "a.apps.test", deploymentID: "d1", backends: [], sleeps: true)], version: 2)
        store.updateAppRoutes([.init(host: "a.apps.test", deploymentID: "d1", backends: ["10.88.0.2:8080"], sleeps: true)], version: 3)
        #expect(await woken?.backends.map(\.address) == ["10.88.0.2:8080"])
        // Already there: at once.
        #expect(await store.backends(ofDeployment: "d1", within: .zero)?.backends.count == 1)
        let started = ContinuousClock.now
        #expect(await store.backends(ofDeployment: "d-none", within: .milliseconds(200)) == nil)
        #expect(ContinuousClock.now - started >= .milliseconds(200))
    }
}
