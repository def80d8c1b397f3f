import Foundation
import NoxIPC
import Testing

@Suite("Interface definitions")
struct InterfaceTests {
    @Test("the embedded interface texts are byte-for-byte the .varlink files")
    func embeddedEqualsFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: TestPaths.interfacesDirectory.path)
            .filter { $0.hasSuffix(".varlink") }
        #expect(files.count == VarlinkInterfaces.all.count)
        for file in files {
            let name = String(file.dropLast(".varlink".count))
            let data = try Data(contentsOf: TestPaths.interfacesDirectory.appendingPathComponent(file))
            #expect(VarlinkInterfaces.all[name].map { Data($0.utf8) } == data, "\(file)")
        }
        #expect(VarlinkInterfaces.ioNoxAuth == VarlinkInterfaces.all["io.nox.Auth"])
        #expect(VarlinkInterfaces.orgVarlinkService == VarlinkInterfaces.all["org.varlink.service"])
    }

    @Test("an interface takes its name from the IDL")
    func nameFromIDL() throws {
        let auth = try VarlinkInterface(description: VarlinkInterfaces.ioNoxAuth, methods: [])
        #expect(auth.name == "io.nox.Auth")
        #expect(try makeTestInterface().name == "io.nox.Test")
    }

    @Test("a method the IDL does not declare is refused")
    func undeclaredMethod() {
        #expect(throws: NoxIPCError.self) {
            try VarlinkInterface(description: VarlinkInterfaces.ioNoxAuth, methods: [VarlinkMethod("Nope") { _ in .emptyObject }])
        }
    }

    @Test("a method given twice is refused")
    func duplicateMethod() {
        let method = VarlinkMethod("GetUser") { _ in .emptyObject }
        #expect(throws: NoxIPCError.self) {
            try VarlinkInterface(description: VarlinkInterfaces.ioNoxAuth, methods: [method, method])
        }
    }

    @Test("an IDL without an interface line is refused")
    func noInterfaceLine() {
        #expect(throws: NoxIPCError.self) {
            try VarlinkInterface(description: "# nothing\nmethod A() -> ()\n", methods: [])
        }
    }

    @Test("a server refuses two interfaces of the same name, or one named org.varlink.service")
    func duplicateInterfaces() throws {
        let auth = try makeAuthInterface()
        let logger = testLogger()
        #expect(throws: NoxIPCError.self) { try VarlinkServer(info: .test, interfaces: [auth, auth], logger: logger) }
        let service = try VarlinkInterface(description: VarlinkInterfaces.orgVarlinkService, methods: [])
        #expect(throws: NoxIPCError.self) { try VarlinkServer(info: .test, interfaces: [service], logger: logger) }
    }
}
