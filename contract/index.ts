export * from './names';
export * from './catalog';
export * from './keys';
export * from './indexes';
export * from './model';
export * from './catalog-index';
export * from './publish';
export * from './sorted';
