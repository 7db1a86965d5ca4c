import { z } from 'zod';
import { JUDGE0_STATUSES } from './protocol.js';

/**
 * Judge0's request and answer shapes for the OpenAPI document (and for the tests that hold
 * real answers to it). The requests are not validated with these: Judge0 reads parameters
 * Rails' way (request.ts); these say what a client sends and gets.
 */

const text = (description: string) => z.string().nullable().meta({ description: `${description}; Base64 (Ruby's encode64, lines of 60) with base64_encoded=true` });
const decimal = (description: string) => z.string().nullable().meta({ description: `${description}, a decimal number as a string ("0.002"), as Judge0's Rails writes decimals` });

export const judge0StatusSchema = z
  .object({ id: z.number().int().min(1).max(14), description: z.enum(JUDGE0_STATUSES.map((s) => s.description) as [string, ...string[]]) })
  .meta({ id: 'Judge0Status', description: 'A Judge0 status: 1 In Queue, 2 Processing, 3 Accepted, 4 Wrong Answer, 5 Time Limit Exceeded, 6 Compilation Error, 7-12 Runtime Errors, 13 Internal Error, 14 Exec Format Error' });

export const judge0SubmissionSchema = z
  .object({
    source_code: text('The program'),
    language_id: z.number().int(),
    stdin: text('Its input; null when none was given'),
    expected_output: text('What stdout is compared with; null: not compared'),
    stdout: text("The program's standard output; null when empty"),
    status_id: z.number().int(),
    created_at: z.string().meta({ description: 'ISO 8601' }),
    finished_at: z.string().nullable().meta({ description: 'ISO 8601; null until it has run' }),
    time: decimal('CPU time, seconds'),
    memory: z.number().int().nullable().meta({ description: 'Peak memory, KB' }),
    stderr: text("The program's standard error; null when empty"),
    token: z.string().meta({ description: "The submission's token: a version-4 UUID as Judge0's, which carries the submission's runbox id (the same submission is /api/submissions/{id})" }),
    number_of_runs: z.number().int(),
    cpu_time_limit: decimal('Seconds'),
    cpu_extra_time: decimal('Seconds'),
    wall_time_limit: decimal('Seconds'),
    memory_limit: z.number().int().meta({ description: 'KB' }),
    stack_limit: z.number().int().meta({ description: 'KB (accepted, not applied: the stack is bounded by memory_limit)' }),
    max_processes_and_or_threads: z.number().int(),
    enable_per_process_and_thread_time_limit: z.boolean(),
    enable_per_process_and_thread_memory_limit: z.boolean(),
    max_file_size: z.number().int().meta({ description: 'KB: the cap on stdout and on stderr' }),
    compile_output: text("The compiler's output; null when empty"),
    exit_code: z.number().int().nullable(),
    exit_signal: z.number().int().nullable(),
    message: text("isolate's words on how the run ended (or runbox's, for an internal error)"),
    wall_time: decimal('Wall-clock time, seconds'),
    compiler_options: z.string().nullable(),
    command_line_arguments: z.string().nullable(),
    redirect_stderr_to_stdout: z.boolean(),
    callback_url: z.string().nullable().meta({ description: 'Shown to the API key that submitted and the admin; null to others' }),
    additional_files: z.string().nullable().meta({ description: 'The zip as sent, Base64 (always)' }),
    enable_network: z.boolean(),
    status: judge0StatusSchema,
    language: z.object({ id: z.number().int(), name: z.string().nullable() }),
  })
  .partial()
  .meta({ id: 'Judge0Submission', description: 'A submission: the attributes asked for with `fields` (default: token, time, memory, stdout, stderr, compile_output, message, status), in this order' });

export const judge0SubmissionRequestSchema = z
  .object({
    source_code: z.string().meta({ description: 'Required. Base64 with base64_encoded=true' }),
    language_id: z.union([z.number().int(), z.string()]).meta({ description: 'Required: an id of GET /judge0/languages (71 Python, 54 C++, 62 Java, 63 JavaScript...)' }),
    stdin: z.string().optional(),
    expected_output: z.string().optional(),
    compiler_options: z.string().max(512).optional().meta({ description: 'C and C++ only, the flags their entry allows (-O0, -std=c11, -Wall, -DNAME, -lm...)' }),
    command_line_arguments: z.string().max(512).optional().meta({ description: 'Split as bash splits words (quotes honoured); $ & ; < > | ` removed, as Judge0 removes them' }),
    cpu_time_limit: z.number().optional().meta({ description: 'Seconds; 0 or absent: the maximum (GET /judge0/config_info)' }),
    cpu_extra_time: z.number().optional().meta({ description: 'Seconds the program may run past cpu_time_limit before it is killed (it is Time Limit Exceeded all the same)' }),
    wall_time_limit: z.number().optional().meta({ description: 'Seconds' }),
    memory_limit: z.number().optional().meta({ description: 'KB' }),
    stack_limit: z.number().optional().meta({ description: 'KB; accepted and not applied' }),
    max_processes_and_or_threads: z.number().optional(),
    enable_per_process_and_thread_time_limit: z.boolean().optional().meta({ description: 'Only false: runbox limits the whole run' }),
    enable_per_process_and_thread_memory_limit: z.boolean().optional().meta({ description: 'Only false: runbox limits the whole run' }),
    max_file_size: z.number().optional().meta({ description: 'KB: the cap on stdout and on stderr (past it: Runtime Error (SIGXFSZ))' }),
    redirect_stderr_to_stdout: z.boolean().optional(),
    enable_network: z.boolean().optional().meta({ description: 'Only when the server lets runs use the network (RUNBOX_ALLOW_NETWORK)' }),
    number_of_runs: z.number().optional().meta({ description: '1-20, accepted; runbox runs a program once' }),
    additional_files: z.string().optional().meta({ description: 'Base64 of a .zip: its files are put beside the program (not compiled; a header, a module, data)' }),
    callback_url: z.string().optional().meta({ description: "Called with PUT and the finished submission's default attributes (Base64), signed with X-Runbox-Signature" }),
  })
  .meta({ id: 'Judge0SubmissionRequest', description: "Judge0's submission attributes (JSON or a form); unknown ones are ignored" });

export const judge0BatchRequestSchema = z.object({ submissions: z.array(judge0SubmissionRequestSchema) }).meta({ id: 'Judge0BatchRequest' });

export const judge0FieldErrorsSchema = z
  .record(z.string(), z.array(z.string()))
  .meta({ id: 'Judge0FieldErrors', description: 'Every field at fault with its messages, in Rails\' words: { "language_id": ["can\'t be blank"] }' });

export const judge0BatchCreatedSchema = z
  .array(z.union([z.object({ token: z.string() }), judge0FieldErrorsSchema]))
  .meta({ id: 'Judge0BatchCreated', description: 'In the order of the request: a token for each submission queued, its field errors for each refused' });

export const judge0ErrorSchema = z.object({ error: z.string() }).meta({ id: 'Judge0Error', description: "Judge0's error answer" });

export const judge0NotFoundSchema = z.object({ status: z.literal(404), error: z.literal('Not Found') }).meta({ id: 'Judge0NotFound', description: "Rails' not-found answer" });

export const judge0LanguageSchema = z.object({ id: z.number().int(), name: z.string() }).meta({ id: 'Judge0Language' });

export const judge0LanguageListedSchema = judge0LanguageSchema.extend({ is_archived: z.boolean() }).meta({ id: 'Judge0LanguageListed' });

export const judge0LanguageDetailSchema = judge0LanguageListedSchema
  .extend({
    source_file: z.string(),
    compile_cmd: z.string().nullable().meta({ description: 'runbox\'s compile command; %s is where compiler_options go' }),
    run_cmd: z.string(),
  })
  .meta({ id: 'Judge0LanguageDetail' });

export const judge0SubmissionBatchSchema = z.object({ submissions: z.array(judge0SubmissionSchema.nullable()) }).meta({ id: 'Judge0SubmissionBatch' });

export const judge0SubmissionPageSchema = z
  .object({
    submissions: z.array(judge0SubmissionSchema),
    meta: z.object({ current_page: z.number().int(), next_page: z.number().int().nullable(), prev_page: z.number().int().nullable(), total_pages: z.number().int(), total_count: z.number().int() }),
  })
  .meta({ id: 'Judge0SubmissionPage' });

export const judge0AboutSchema = z
  .object({ version: z.string(), homepage: z.string().nullable(), source_code: z.string().nullable(), maintainer: z.string(), runbox: z.string().meta({ description: "runbox's own version" }) })
  .meta({ id: 'Judge0About' });

export const judge0ConfigInfoSchema = z
  .record(z.string(), z.union([z.boolean(), z.number(), z.array(z.string())]))
  .meta({ id: 'Judge0ConfigInfo', description: "Judge0's configuration variables as they apply to the caller (an API key's caps lower the maxima)" });
