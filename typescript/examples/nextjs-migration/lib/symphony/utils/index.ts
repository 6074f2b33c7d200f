// '@/lib/symphony/utils', the import path of the user guide.
export * from './message-builders';
