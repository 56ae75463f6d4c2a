import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795929467838 } from './1795929467838-initial-schema';

/** Every migration, oldest first. A committed migration is never edited: add a new one. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [InitialSchema1795929467838];
