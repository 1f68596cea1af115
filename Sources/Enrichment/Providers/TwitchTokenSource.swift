import EnricherCore
import Foundation
import Outbound

/// An app access token from Twitch's client-credentials flow, as IGDB needs it.
struct TwitchToken: Sendable, Equatable {
    var accessToken: String
    /// When the token stops being used: 60 s before Twitch says it expires.
    var renewAt: ContinuousClock.Instant

    static let margin = Duration.seconds(60)

    init(accessToken: String, expiresIn seconds: Int, obtainedAt: ContinuousClock.Instant) {
        self.accessToken = accessToken
        renewAt = obtainedAt + .seconds(max(0, seconds)) - Self.margin
    }

    func isUsable(at now: ContinuousClock.Instant) -> Bool { now < renewAt }
}

/// Holds IGDB's Twitch token: one token request at a time however many lookups need it, reused
/// until shortly before it expires, renewed when IGDB rejects it.
actor TwitchTokenSource {
    private let http: ProviderHTTP
    private let tokenURL: Secret
    private let clock = ContinuousClock()
    private var token: TwitchToken?
    private var pending: Task<Result<TwitchToken, ProviderFailure>, Never>?

    init(settings: ProviderSettings, fetcher: any HTTPFetching) {
        http = ProviderHTTP(service: "Twitch", fetcher: fetcher, throttleStatuses: ProviderDescriptor.igdb.throttleStatuses)
        // The URL carries the client secret (Twitch takes it as a query parameter).
        tokenURL = Secret(ProviderURL.make(settings[.twitchTokenURL], "/oauth2/token", query: [
            ("client_id", settings[.igdbClientID]),
            ("client_secret", settings[.igdbClientSecret]),
            ("grant_type", "client_credentials"),
        ]))
    }

    /// A usable token, requested only when none is cached.
    func current() async throws(ProviderFailure) -> String {
        if let token, token.isUsable(at: clock.now) { return token.accessToken }
        return try await renewed()
    }

    /// A new token, unless another caller has already replaced `rejected`.
    func renew(rejected: String) async throws(ProviderFailure) -> String {
        if let token, token.accessToken != rejected, token.isUsable(at: clock.now) { return token.accessToken }
        token = nil
        return try await renewed()
    }

    private func renewed() async throws(ProviderFailure) -> String {
        let task: Task<Result<TwitchToken, ProviderFailure>, Never>
        if let pending {
            task = pending
        } else {
            let http = self.http, url = tokenURL.value, clock = self.clock
            task = Task { await Self.request(http: http, url: url, clock: clock) }
            pending = task
        }
        let result = await task.value
        if pending == task { pending = nil }
        if case .success(let fresh) = result { token = fresh }
        return try result.get().accessToken
    }

    private static func request(http: ProviderHTTP, url: String, clock: ContinuousClock) async -> Result<TwitchToken, ProviderFailure> {
        do throws(ProviderFailure) {
            let response = try await http.exchange(OutboundRequest(method: "POST", url: url, body: []))
            if [400, 401, 403].contains(response.status) {
                // Twitch: 400 "invalid client", 403 "invalid client secret".
                let message = (try? JSONDecoder().decode(TokenError.self, from: Data(response.body)))?.message.map { ": \($0)" } ?? ""
                return .failure(.configuration("Twitch rejected the IGDB client credentials (HTTP \(response.status))\(message)"))
            }
            let answer = try ProviderHTTP.decode(TokenResponse.self, from: try http.classify(response).get())
            return .success(TwitchToken(accessToken: answer.access_token, expiresIn: answer.lifetime, obtainedAt: clock.now))
        } catch {
            return .failure(error)
        }
    }

    /// `POST /oauth2/token?...&grant_type=client_credentials`.
    struct TokenResponse: Decodable {
        var access_token: String
        var expires_in: ProviderNumber?
        var token_type: String?

        /// Seconds the token lasts, as Twitch says (about 60 days), within `0...maxLifetime`; an hour when
        /// it says nothing readable (a rejected token is renewed anyway).
        var lifetime: Int { expires_in?.clamped(to: 0...Self.maxLifetime) ?? 3600 }

        static let maxLifetime = 90 * 86_400
    }

    struct TokenError: Decodable {
        var status: Int?
        var message: String?
    }
}
