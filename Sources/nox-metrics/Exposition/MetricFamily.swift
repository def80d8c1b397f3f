/// One metric family of the Prometheus text exposition format: its name, type, help and samples
/// (a histogram's `_bucket`, `_sum` and `_count` samples all belong to its family).
public struct MetricFamily: Sendable, Equatable {
    public var name: String
    /// `counter`, `gauge`, `histogram`, `summary` or `untyped`.
    public var type: String
    public var help: String?
    public var samples: [MetricSample]

    public init(name: String, type: String, help: String? = nil, samples: [MetricSample] = []) {
        self.name = name
        self.type = type
        self.help = help
        self.samples = samples
    }

    /// Whether a sample named `sample` belongs to this family.
    func owns(_ sample: String) -> Bool {
        guard sample.hasPrefix(name) else { return false }
        let suffix = sample.dropFirst(name.count)
        switch type {
        case "histogram": return suffix == "_bucket" || suffix == "_sum" || suffix == "_count"
        case "summary": return suffix.isEmpty || suffix == "_sum" || suffix == "_count"
        default: return suffix.isEmpty
        }
    }
}

/// One sample line: `name{label="value",...} value`.
public struct MetricSample: Sendable, Equatable {
    public var name: String
    public var labels: [Label]
    /// The value as written (`12`, `0.25`, `+Inf`, `NaN`), so nothing is lost in a round trip.
    public var value: String

    public struct Label: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(name: String, labels: [Label] = [], value: String) {
        self.name = name
        self.labels = labels
        self.value = value
    }
}
