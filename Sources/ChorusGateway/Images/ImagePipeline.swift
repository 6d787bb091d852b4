import ChorusMedia
import ChorusUpstream
import ChorusWire
import Foundation
import NIOCore

/// The image work every image route shares: inputs adapted to the provider, the provider call, and the
/// provider's images shaped for the caller (format conversion, `url` via the media store, `b64_json` by
/// fetching a provider URL). Pixel work runs off the event loop.
struct ImagePipeline: Sendable {
    let services: GatewayServices
    let media: MediaStore
    let inputs: ImageInputs

    /// One image as the caller gets it.
    struct Finished: Sendable {
        var url: String?
        var b64: String?
        var revisedPrompt: String?
        var format: ImageFormat?
        var width: Int?
        var height: Int?
    }

    // MARK: inputs

    func prepare(_ job: ImageJob, for provider: any ImageProvider) async throws(GatewayError) -> PreparedImageInputs {
        let limits = inputs.limits
        let wantsPNG = provider.wantsPNGInputs
        let (mode, color) = (provider.maskMode, provider.maskEditColor)
        return try await Offload.run { () throws(GatewayError) -> PreparedImageInputs in
            var prepared = PreparedImageInputs()
            for (index, image) in job.images.enumerated() {
                if wantsPNG, image.info.format != .png {
                    do {
                        let png = try ImageWriter.convert(image.bytes, to: .png, limits: limits)
                        prepared.images.append((png, .png, image.filename))
                    } catch let error as ImageError {
                        throw ImageInputs.gatewayError(error, param: index == 0 ? "image" : "image[\(index)]", limits: limits)
                    } catch {
                        throw .internalError("image conversion failed: \(error)")
                    }
                } else {
                    prepared.images.append((image.bytes, image.info.format, image.filename))
                }
            }
            prepared.firstSize = job.images.first.map { ($0.info.width, $0.info.height) }
            if let mask = job.mask, let first = job.images.first {
                do {
                    prepared.mask = try MaskConverter.convert(mask: mask.bytes, imageWidth: first.info.width, imageHeight: first.info.height,
                                                              to: mode, editColor: color, limits: limits)
                } catch let error as ImageError {
                    throw ImageInputs.gatewayError(error, param: "mask", limits: limits, image: first.info)
                } catch {
                    throw .internalError("mask conversion failed: \(error)")
                }
            }
            return prepared
        }
    }

    // MARK: provider

    /// The model's image facet (or a fallback's), inputs prepared its way, what it answered and which model that was.
    func produce(_ job: ImageJob, model: ResolvedModel, caller: Caller,
                 trace: RequestTrace) async throws(GatewayError) -> (answer: ImageAnswer, model: ResolvedModel) {
        // The model itself was held to its `image_caps` when it was resolved; a fallback that would refuse is skipped.
        try await services.failover.run(model, caller: caller, capability: job.kind.capability, trace: trace,
                                        admits: { $0.config.imageCaps?.admits(job) ?? true }) { model throws(GatewayError) in
            guard let provider = model.provider.images else { throw model.provider.missing(job.kind.capability) }
            let prepared = try await prepare(job, for: provider)
            return try await provider.produce(job, prepared: prepared, model: model.config)
        }
    }

    // MARK: results

    /// Converts to the asked `output_format` when the provider's image is another format, then answers in the
    /// asked `response_format` (nil: the form the provider used): `url` stores the bytes and hands out a media
    /// URL (the stored image records `caller`'s key as its owner); `b64_json` fetches a provider URL under the
    /// provider's fetch rules and inlines it.
    func finish(_ produced: ProducedImages, job: ImageJob, model: ResolvedModel, caller: Caller,
                responseFormat: ImageJob.ResponseFormat?, requestID: String? = nil) async throws(GatewayError) -> [Finished] {
        var finished: [Finished] = []
        for (item, revised) in produced.items {
            var bytes: [UInt8]?
            var providerURL: String?
            switch item {
            case .bytes(let data): bytes = data
            case .url(let url): providerURL = url
            }
            let want = responseFormat ?? (providerURL == nil ? .b64JSON : .url)
            if bytes == nil, let providerURL, want == .b64JSON || job.outputFormat != nil {
                bytes = try await inputs.fetch(providerURL, allowPrivate: model.provider.config.allowPrivateURLs, param: nil, provider: model.providerName)
            }
            var result = Finished(revisedPrompt: revised)
            if let original = bytes {
                let (converted, info) = try await convert(original, to: job.outputFormat, quality: job.outputCompression, provider: model.providerName)
                result.format = info.format
                result.width = info.width
                result.height = info.height
                switch want {
                case .b64JSON:
                    result.b64 = Data(converted).base64EncodedString()
                case .url:
                    let record: MediaRecord
                    do { record = try await media.save(converted, format: info.format, ownerKeyID: caller.ownerKeyID, requestID: requestID) } catch {
                        throw .internalError("could not store the image: \(error)")
                    }
                    result.url = services.config.server.publicURL + "/v1/media/" + record.id
                }
            } else {
                result.url = providerURL
            }
            finished.append(result)
        }
        return finished
    }

    private func convert(_ bytes: [UInt8], to format: ImageFormat?, quality: Int?, provider: String) async throws(GatewayError) -> ([UInt8], ImageInfo) {
        let limits = inputs.limits
        return try await Offload.run { () throws(GatewayError) -> ([UInt8], ImageInfo) in
            do {
                let info = try ImageReader.info(bytes)
                guard let format, format != info.format else { return (bytes, info) }
                let converted = try ImageWriter.convert(bytes, to: format, quality: format == .png ? nil : quality, limits: limits)
                return (converted, ImageInfo(format: format, width: info.width, height: info.height, hasAlpha: info.hasAlpha))
            } catch let error as ImageError {
                throw .upstreamFailed(provider: provider, "the provider's image could not be read: \(error.message)")
            } catch {
                throw .upstreamFailed(provider: provider, "\(error)")
            }
        }
    }
}
