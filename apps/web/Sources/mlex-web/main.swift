import Platform
import WebGateway

await ServiceMain.run(.web, extraSettings: Gateway.extraSettings) { settings, logger, metrics in
    try Gateway.buildApplication(settings: settings, logger: logger, metrics: metrics)
}
