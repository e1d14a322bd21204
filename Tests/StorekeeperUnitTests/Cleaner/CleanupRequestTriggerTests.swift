import Testing

@testable import StorekeeperEngine
@testable import StorekeeperIndex

/// Callers that still name a trigger by its stored text get the same enum.
@Suite struct CleanupRequestTriggerTests {
    @Test func everyStoredTriggerTextMakesItsRequest() {
        for trigger in CleanupTrigger.allCases {
            let request = Cleaner.Request(trigger: trigger.rawValue, dryRun: true)
            #expect(request.trigger == trigger)
            #expect(request.dryRun)
        }
        #expect(Cleaner.Request(trigger: .manual, dryRun: false, categories: ["temp"]).categories == ["temp"])
    }
}
