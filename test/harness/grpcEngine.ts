/**
 * A stand-in for the Pulumi engine, serving the two gRPC services a Node.js program talks to:
 * the ResourceMonitor (registrations, invokes) and the Engine (logging, the root resource).
 * Behind the monitor sits the SimulatedCloud, so each resource gets realistic outputs, and every
 * registration is recorded with its dependencies.
 *
 * With it test/harness/entryPoint.ts runs the program as the Node.js language host starts it: Pulumi's
 * own entry point (`@pulumi/pulumi/cmd/run`) in a process of its own, with Pulumi.yaml's runtime
 * options, talking gRPC to an engine that runs elsewhere.
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engineproto from "@pulumi/pulumi/proto/engine_pb";
import * as resrpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";

import { SimulatedCloud } from "../../testing/simulator";

/** What a current engine answers to SupportsFeature: everything the SDK asks about. */
const ENGINE_FEATURES = new Set([
  "secrets",
  "resourceReferences",
  "outputValues",
  "deletedWith",
  "replaceWith",
  "aliasSpecs",
  "transforms",
  "invokeTransforms",
  "parameterization",
  "resourceHooks",
  "errorHooks",
]);

export interface SimulatedEngine {
  /** host:port for the program's --monitor and --engine flags. */
  address: string;
  cloud: SimulatedCloud;
  /** Messages the program logged at warning or error severity. */
  problems: string[];
  close(): Promise<void>;
}

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;
type Unary<Req, Res> = (call: { request: Req }, cb: Callback<Res>) => void;

/** Outputs as the wire carries them: plain JSON, undefined members dropped. */
function toStruct(value: Record<string, unknown>): Struct {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(value)) as Record<string, never>);
}

function failed(err: unknown): grpc.ServiceError {
  const error = err instanceof Error ? err : new Error(String(err));
  return Object.assign(error, {
    code: grpc.status.UNKNOWN,
    details: error.message,
    metadata: new grpc.Metadata(),
  });
}

export async function startSimulatedEngine(options: {
  project: string;
  stack: string;
}): Promise<SimulatedEngine> {
  const cloud = new SimulatedCloud();
  const problems: string[] = [];
  let rootUrn = "";

  const urnOf = (parent: string, type: string, name: string) => {
    // A child's URN carries its parent's type chain, as the engine forms it.
    const qualified = parent ? `${parent.split("::")[2]}$${type}` : type;
    return `urn:pulumi:${options.stack}::${options.project}::${qualified}::${name}`;
  };

  // The monitor's two registration calls, in the callback form the recorder wraps.
  const monitor = {
    registerResource(
      req: resproto.RegisterResourceRequest,
      cb: (err: unknown, resp?: resproto.RegisterResourceResponse) => void,
    ): void {
      const inputs = deserializeProperties(req.getObject() ?? new Struct()) as Record<
        string,
        unknown
      >;
      cloud
        .newResource({
          type: req.getType(),
          name: req.getName(),
          inputs,
          provider: req.getProvider(),
          custom: req.getCustom(),
          id: req.getImportid(),
        })
        .then(({ id, state }) => {
          const resp = new resproto.RegisterResourceResponse();
          resp.setUrn(urnOf(req.getParent(), req.getType(), req.getName()));
          // Components have no id and no outputs until they register them.
          if (req.getCustom()) {
            resp.setId(id);
            resp.setObject(toStruct(state));
          }
          cb(null, resp);
        })
        .catch((err: unknown) => cb(failed(err)));
    },
    registerResourceOutputs(
      _req: resproto.RegisterResourceOutputsRequest,
      cb: (err: unknown, resp?: unknown) => void,
    ): void {
      cb(null, new Empty());
    },
  };
  cloud.record(monitor);

  const register: Unary<resproto.RegisterResourceRequest, resproto.RegisterResourceResponse> = (
    call,
    cb,
  ) => monitor.registerResource(call.request, (err, resp) => cb(err as grpc.ServiceError, resp));
  const registerOutputs: Unary<resproto.RegisterResourceOutputsRequest, Empty> = (call, cb) =>
    monitor.registerResourceOutputs(call.request, (err) =>
      cb(err as grpc.ServiceError | null, new Empty()),
    );
  const supportsFeature: Unary<
    resproto.SupportsFeatureRequest,
    resproto.SupportsFeatureResponse
  > = (call, cb) => {
    const resp = new resproto.SupportsFeatureResponse();
    resp.setHassupport(ENGINE_FEATURES.has(call.request.getId()));
    cb(null, resp);
  };
  // ResourceMonitor.Invoke answers with resource.proto's ResourceInvokeResponse in the SDK 3.276
  // protocol (3.255's answered with provider.proto's InvokeResponse).
  const invoke: Unary<resproto.ResourceInvokeRequest, resproto.ResourceInvokeResponse> = (
    call,
    cb,
  ) => {
    try {
      const result = cloud.call({
        token: call.request.getTok(),
        inputs: deserializeProperties(call.request.getArgs() ?? new Struct()) as Record<
          string,
          unknown
        >,
        provider: call.request.getProvider(),
      });
      const resp = new resproto.ResourceInvokeResponse();
      resp.setReturn(toStruct(result));
      cb(null, resp);
    } catch (err) {
      cb(failed(err));
    }
  };
  const registerPackage: Unary<
    resproto.RegisterPackageRequest,
    resproto.RegisterPackageResponse
  > = (call, cb) => {
    const resp = new resproto.RegisterPackageResponse();
    resp.setRef(`${call.request.getName()}@${call.request.getVersion()}`);
    cb(null, resp);
  };
  const shutdown: Unary<Empty, Empty> = (_call, cb) => cb(null, new Empty());

  const log: Unary<engineproto.LogRequest, Empty> = (call, cb) => {
    if (call.request.getSeverity() >= engineproto.LogSeverity.WARNING) {
      problems.push(call.request.getMessage());
    }
    cb(null, new Empty());
  };
  const getRoot: Unary<engineproto.GetRootResourceRequest, engineproto.GetRootResourceResponse> = (
    _call,
    cb,
  ) => {
    const resp = new engineproto.GetRootResourceResponse();
    resp.setUrn(rootUrn);
    cb(null, resp);
  };
  const setRoot: Unary<engineproto.SetRootResourceRequest, engineproto.SetRootResourceResponse> = (
    call,
    cb,
  ) => {
    rootUrn = call.request.getUrn();
    cb(null, new engineproto.SetRootResourceResponse());
  };

  const server = new grpc.Server();
  // Methods left out (Call, ReadResource, transforms, ...) answer UNIMPLEMENTED, as an engine
  // would for calls the program has no business making here.
  server.addService(resrpc.ResourceMonitorService, {
    supportsFeature,
    invoke,
    registerResource: register,
    registerResourceOutputs: registerOutputs,
    registerPackage,
    signalAndWaitForShutdown: shutdown,
  });
  server.addService(enginerpc.EngineService, {
    log,
    getRootResource: getRoot,
    setRootResource: setRoot,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );

  return {
    address: `127.0.0.1:${port}`,
    cloud,
    problems,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
