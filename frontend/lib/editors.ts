/** Monaco's language ids and the file each language's model stands for. */
export const EDITOR: Record<string, { monaco: string; file: string }> = {
  javascript: { monaco: 'javascript', file: 'main.js' },
  python: { monaco: 'python', file: 'main.py' },
  cpp: { monaco: 'cpp', file: 'main.cpp' },
  java: { monaco: 'java', file: 'Main.java' },
};

export const PLAIN_EDITOR = { monaco: 'plaintext', file: 'main.txt' };
