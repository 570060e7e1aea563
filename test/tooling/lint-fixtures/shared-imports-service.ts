// Linted as shared/src/errors/app-error.ts: the shared library depending on a service.
import { SERVICE } from '../../../gateway/src/index';
export const service = SERVICE;
