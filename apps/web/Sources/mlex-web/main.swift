import Platform
import WebGateway

await ServiceMain.run(.web) { settings, logger, metrics in
    try Gateway.buildApplication(settings: settings, logger: logger, metrics: metrics)
}
