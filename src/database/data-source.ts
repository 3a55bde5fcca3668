import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/load-config';
import { dataSourceOptions } from './data-source-options';

/** The data source of the TypeORM CLI (`npm run migration:run`, `npm run migration:generate`). */
export default new DataSource(dataSourceOptions(loadConfig(process.env).database));
