import winston from 'winston';

/** Structured JSON logs on stdout: one object per line, ready for any log shipper. */
export function createLogger(level: string): winston.Logger {
  return winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}

export type Logger = winston.Logger;
