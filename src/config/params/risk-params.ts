import { z } from 'zod';

/*
 * Risk limits and toxicity (adverse-selection) pauses of one pair. Each field
 * carries `.meta({ description, unit })`, which the README parameter table is
 * generated from. Rules default to off, so logs recorded before a rule existed
 * still verify with the defaults they are read back with.
 */

export const RiskParamsSchema = z.object({}).strict();

export const ToxicityParamsSchema = z.object({}).strict();
