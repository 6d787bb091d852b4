import Foundation
import HTTPTypes
import Logging

extension OpenAICompatibleProvider: RealtimeProvider {
    func openRealtimeSession(model: ModelConfig, intent: RealtimeIntent, logger: Logger) async throws(GatewayError) -> any RealtimeSession {
        guard let url = Self.realtimeURL(baseURL: config.baseURL, model: model.model, intent: intent) else {
            throw GatewayError.upstreamFailed(provider: name, "The provider's base_url cannot carry a WebSocket.")
        }
        var headers = HTTPFields()
        for (header, value) in transport.headers(contentType: nil, accept: nil) {
            if let field = HTTPField.Name(header) { headers.append(HTTPField(name: field, value: value)) }
        }
        return try await UpstreamRealtimeSession.open(url: url, headers: headers, provider: name,
                                                      connectTimeout: config.connectTimeout + (config.firstByteTimeout ?? config.timeout),
                                                      caFile: config.caFile, logger: logger)
    }

    /// `base_url` + `/realtime`, http→ws and https→wss; a conversation names the upstream model, a transcription
    /// session says its intent instead (OpenAI's GA URLs).
    static func realtimeURL(baseURL: String, model: String, intent: RealtimeIntent) -> String? {
        let url: String
        if baseURL.hasPrefix("https://") {
            url = "wss://" + baseURL.dropFirst("https://".count)
        } else if baseURL.hasPrefix("http://") {
            url = "ws://" + baseURL.dropFirst("http://".count)
        } else if baseURL.hasPrefix("ws://") || baseURL.hasPrefix("wss://") {
            url = baseURL
        } else {
            return nil
        }
        switch intent {
        case .conversation:
            var allowed = CharacterSet.urlQueryAllowed
            allowed.remove(charactersIn: "&=+#")
            let escaped = model.addingPercentEncoding(withAllowedCharacters: allowed) ?? model
            return url + "/realtime?model=" + escaped
        case .transcription:
            return url + "/realtime?intent=transcription"
        }
    }
}
