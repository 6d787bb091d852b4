import ChorusMedia

/// A model's `image_caps` held against one request: the first parameter outside them is a 400 naming the parameter
/// and what the model takes, so the caller learns it from Chorus instead of from a provider that was paid to refuse.
extension ImageCaps {
    /// Throws for the first parameter of `job` that `model` does not take. Parameters the request leaves out are
    /// the provider's to default.
    func check(_ job: ImageJob, model: String) throws(GatewayError) {
        let name = GatewayError.echo(model)
        if let maxN, let n = job.n, n > maxN {
            throw .invalidParameter("n", "The model '\(name)' makes at most \(maxN) image\(maxN == 1 ? "" : "s") per request; 'n' was \(n).")
        }
        if let size = job.size {
            try checkSize(size, model: name)
        }
        if let formats, let format = job.outputFormat, !formats.contains(format) {
            throw .invalidParameter("output_format",
                                    "The model '\(name)' offers output_format \(Self.list(formats.map(\.rawValue))); not '\(format.rawValue)'.")
        }
        if transparency == false, let background = job.option("background"), background.lowercased() == "transparent" {
            throw .invalidParameter("background", "The model '\(name)' cannot make a transparent background; 'background' may be opaque or auto.")
        }
        if let qualities, let quality = job.option("quality"), !qualities.contains(quality) {
            throw .invalidParameter("quality", "The model '\(name)' takes quality \(Self.list(qualities)); not '\(GatewayError.echo(quality))'.")
        }
    }

    /// Whether a fallback with these caps can take `job` (one that cannot is skipped, like one without the capability).
    func admits(_ job: ImageJob) -> Bool {
        do {
            try check(job, model: "")
            return true
        } catch {
            return false
        }
    }

    private func checkSize(_ size: String, model: String) throws(GatewayError) {
        // The request's size was checked to be `auto` or WxH when it was read.
        let normalized = Self.normalizedSize(size) ?? size.lowercased()
        if let sizes, !sizes.contains(normalized) {
            throw .invalidParameter("size", "The model '\(model)' does not offer size '\(GatewayError.echo(size))'; its sizes are \(Self.list(sizes)).")
        }
        guard let sizeRule, normalized != "auto" else { return }
        let parts = normalized.split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]) else { return }
        let pixels = width * height
        let aspect = ImageCaps.Aspect(width: width, height: height)
        let multiple = sizeRule.multipleOf.map { width % $0 == 0 && height % $0 == 0 } ?? true
        let enoughPixels = sizeRule.minPixels.map { pixels >= $0 } ?? true
        let notTooManyPixels = sizeRule.maxPixels.map { pixels <= $0 } ?? true
        let wideEnough = sizeRule.minAspect.map { !$0.isWider(than: width, height) } ?? true
        let notTooWide = sizeRule.maxAspect.map { !aspect.isWider(than: $0.width, $0.height) } ?? true
        guard !(multiple && enoughPixels && notTooManyPixels && wideEnough && notTooWide) else { return }
        throw .invalidParameter("size", "The model '\(model)' takes sizes \(sizeRule.description) (or auto); "
                                + "'\(normalized)' (\(pixels) pixels, aspect ratio \(aspect)) is not one.")
    }

    private static func list(_ values: [String]) -> String { values.joined(separator: ", ") }
}

extension ImageCaps.SizeRule: CustomStringConvertible {
    /// "with sides that are multiples of 16, 655360 to 8294400 pixels, aspect ratio 1:3 to 3:1".
    public var description: String {
        var terms: [String] = []
        if let multipleOf { terms.append("with sides that are multiples of \(multipleOf)") }
        switch (minPixels, maxPixels) {
        case (let low?, let high?): terms.append("\(low) to \(high) pixels")
        case (let low?, nil): terms.append("at least \(low) pixels")
        case (nil, let high?): terms.append("at most \(high) pixels")
        case (nil, nil): break
        }
        switch (minAspect, maxAspect) {
        case (let low?, let high?): terms.append("aspect ratio \(low) to \(high)")
        case (let low?, nil): terms.append("aspect ratio at least \(low)")
        case (nil, let high?): terms.append("aspect ratio at most \(high)")
        case (nil, nil): break
        }
        return terms.isEmpty ? "of any WxH" : terms.joined(separator: ", ")
    }
}
