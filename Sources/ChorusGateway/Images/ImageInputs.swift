import ChorusMedia
import ChorusUpstream
import ChorusWire
import Foundation
import NIOCore

/// Reading caller images: checks before anything is forwarded, base64 and data URLs, and http(s) URLs fetched
/// with libcurl under the fetch rules (size-bounded, no redirects, private addresses refused unless allowed).
struct ImageInputs: Sendable {
    let services: GatewayServices
    let limits: ImageLimits

    /// Decodes the image once, off the event loop: the header is checked against the pixel limit first (so a
    /// PNG declaring 100000x100000 never allocates), then the pixels, so a truncated or corrupt image is 400
    /// naming `param` rather than the provider's problem.
    func check(_ bytes: [UInt8], filename: String?, param: String) async throws(GatewayError) -> ImageJob.Input {
        let limits = self.limits
        return try await Offload.run { () throws(GatewayError) -> ImageJob.Input in
            do {
                let info = try ImageReader.info(bytes)
                _ = try ImageReader.decode(bytes, limits: limits)
                return ImageJob.Input(bytes: bytes, info: info, filename: filename)
            } catch let error as ImageError {
                throw Self.gatewayError(error, param: param, limits: limits)
            } catch {
                throw .invalidParameter(param, "'\(param)' could not be read as an image.")
            }
        }
    }

    /// A mask: a PNG of the first image's width and height, within the limits (header checks only; the pixels
    /// are read when it is converted for the provider).
    func checkMask(_ bytes: [UInt8], filename: String?, image: ImageJob.Input) async throws(GatewayError) -> ImageJob.Input {
        let limits = self.limits
        return try await Offload.run { () throws(GatewayError) -> ImageJob.Input in
            do {
                let info = try MaskConverter.validate(mask: bytes, imageWidth: image.info.width, imageHeight: image.info.height, limits: limits)
                return ImageJob.Input(bytes: bytes, info: info, filename: filename)
            } catch let error as ImageError {
                throw Self.gatewayError(error, param: "mask", limits: limits, image: image.info)
            } catch {
                throw .invalidParameter("mask", "'mask' could not be read as a PNG.")
            }
        }
    }

    static func gatewayError(_ error: ImageError, param: String, limits: ImageLimits, image: ImageInfo? = nil) -> GatewayError {
        switch error.kind {
        case .notAnImage, .unsupportedFormat, .invalidMask:
            let wanted = param == "mask" ? "a PNG" : "a PNG, JPEG or WebP image"
            return .invalidParameter(param, "'\(param)' must be \(wanted) (\(error.message)).")
        case .tooManyPixels:
            return .invalidParameter(param, "'\(param)' is too large: \(error.message); at most \(limits.maxPixels) pixels are accepted.")
        case .tooManyBytes:
            return .invalidParameter(param, "'\(param)' is larger than \(limits.maxBytes) bytes.")
        case .sizeMismatch:
            let size = image.map { " (\($0.width)x\($0.height))" } ?? ""
            return .invalidParameter(param, "'\(param)' must have the same width and height as the image\(size): \(error.message).")
        default:
            return .invalidParameter(param, "'\(param)' is truncated or corrupt: \(error.message).")
        }
    }

    /// An image given in JSON: a data URL, an http(s) URL (fetched under `provider`'s rules), or — for the
    /// LoLLMs form only — bare base64.
    func load(_ text: String, param: String, allowPrivate: Bool, allowBareBase64: Bool) async throws(GatewayError) -> [UInt8] {
        let lowered = text.prefix(8).lowercased()
        if lowered.hasPrefix("data:") || allowBareBase64 && !lowered.hasPrefix("http://") && !lowered.hasPrefix("https://") {
            return try Base64Payload.decodeParameter(text, param: param, media: "image")
        }
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
            throw .invalidParameter(param, "'\(param)' must be a data URL (data:image/png;base64,…) or an http(s) URL.")
        }
        return try await fetch(text, allowPrivate: allowPrivate, param: param)
    }

    /// GETs an image URL. Failures are 400 naming `param` when the URL came from the caller, 502 when `param`
    /// is nil (a URL the provider answered with).
    func fetch(_ url: String, allowPrivate: Bool, param: String?, provider: String = "") async throws(GatewayError) -> [UInt8] {
        let request = UpstreamRequest(
            method: "GET", url: url, headers: [("Accept", "image/png, image/jpeg, image/webp"), ("User-Agent", "chorus")],
            connectTimeout: 10, timeout: 60, maxResponseBytes: limits.maxBytes, refusePrivateAddresses: !allowPrivate)
        func failure(_ reason: String) -> GatewayError {
            if let param { return .invalidParameter(param, "'\(param)' could not be fetched: \(reason).") }
            return .upstreamFailed(provider: provider, "could not fetch the image it returned: \(reason)")
        }
        do {
            let response = try await services.upstream.execute(request)
            guard (200..<300).contains(response.status) else {
                response.body.cancel()
                throw failure("the server answered \(response.status)")
            }
            let body = try await response.body.collect(upTo: limits.maxBytes)
            return Array(body.readableBytesView)
        } catch let error as GatewayError {
            throw error
        } catch let error as UpstreamError {
            switch error.kind {
            case .privateAddressRefused:
                throw failure("the host resolves to a private or loopback address, which this provider may not fetch (allow_private_urls)")
            case .responseTooLarge:
                throw failure("it is larger than \(limits.maxBytes) bytes")
            case .invalidRequest:
                throw failure("the URL is not valid")
            default:
                throw failure(error.message)
            }
        } catch {
            throw failure("\(error)")
        }
    }
}
