/** Kept for modules that import the request-rejection helper from here; it lives in shared/. */
export { invalidRequest } from '../shared/invalid-request-error.ts';
