import { credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';

const STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
export type HealthStatus = (typeof STATUS)[number];

/**
 * A minimal client of the standard grpc.health.v1.Health/Check, encoding its two one-field
 * messages by hand (field 1, `service` string / `status` enum) to stay independent of the
 * server's implementation.
 */
const HealthClient = makeGenericClientConstructor(
  {
    check: {
      path: '/grpc.health.v1.Health/Check',
      requestStream: false,
      responseStream: false,
      requestSerialize: (service: string) => {
        const bytes = Buffer.from(service, 'utf8');
        return bytes.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
      },
      requestDeserialize: (buffer: Buffer) => buffer.toString(),
      responseSerialize: (status: number) => Buffer.from([0x08, status]),
      responseDeserialize: (buffer: Buffer) => (buffer.length >= 2 && buffer[0] === 0x08 ? buffer[1]! : 0),
    },
  },
  'grpc.health.v1.Health',
);

/** Asks a gRPC server for its health (`service` '' = the server as a whole). */
export function checkGrpcHealth(address: string, service = ''): Promise<HealthStatus> {
  const client = new HealthClient(address, credentials.createInsecure()) as unknown as {
    check(request: string, options: { deadline: number }, callback: (error: ServiceError | null, status: number) => void): void;
    close(): void;
  };
  return new Promise((resolve, reject) => {
    client.check(service, { deadline: Date.now() + 2_000 }, (error, status) => {
      client.close();
      if (error) reject(error);
      else resolve(STATUS[status] ?? 'UNKNOWN');
    });
  });
}
