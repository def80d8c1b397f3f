public import NoxRuntime

/// Merges the expositions of several daemons (and nox-metrics's own) into one: families of the
/// same name become one family (one `# HELP`/`# TYPE`, as the format requires), each sample
/// labelled with the daemon it came from (`service_name`, OTel's `service.name`).
public enum ExpositionMerger {
    public static let serviceLabel = "service_name"

    /// - Parameters:
    ///   - sources: `(service, families)`; a service of nil adds no label (metrics about the host,
    ///     or already labelled per service).
    /// - Returns: the merged families in name order. A family whose type differs from the first
    ///   one seen under that name is dropped from the later source (the format allows one type).
    public static func merge(_ sources: [(service: String?, families: [MetricFamily])]) -> [MetricFamily] {
        var merged: [String: MetricFamily] = [:]
        for (service, families) in sources {
            for family in families {
                var samples = family.samples
                if let service {
                    samples = samples.map { sample in
                        var sample = sample
                        sample.labels.removeAll { $0.name == serviceLabel }
                        sample.labels.insert(.init(serviceLabel, service), at: 0)
                        return sample
                    }
                }
                if var existing = merged[family.name] {
                    guard existing.type == family.type else { continue }
                    existing.samples += samples
                    if existing.help == nil || existing.help == "" { existing.help = family.help }
                    merged[family.name] = existing
                } else {
                    var copy = family
                    copy.samples = samples
                    merged[family.name] = copy
                }
            }
        }
        return merged.values.sorted { $0.name < $1.name }.map { family in
            var family = family
            // swift-metrics carries no help text: Nox's catalog has it.
            if family.help?.isEmpty ?? true {
                family.help = MetricName.all[family.name]?.help ?? "Nox metric \(family.name)."
            }
            return family
        }
    }
}
