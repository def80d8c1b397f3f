/// A failure inside the system crypto library; the message names the call.
public struct CryptoError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
