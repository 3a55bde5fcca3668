import type { Provider } from '@nestjs/common';
import { type CatalogueDefinition, registerPermissionSubjects } from './permission-catalog';

/**
 * The provider through which a feature module registers its permission subjects:
 * `providers: [providePermissions(PROJECT_SUBJECT)]`. Only subjects declared in the
 * `PermissionCatalogue` interface under their own name are accepted, so what `@Can` checks at
 * compile time and what the catalogue holds at run time cannot drift apart.
 */
export function providePermissions(...definitions: CatalogueDefinition[]): Provider {
  return {
    provide: Symbol(`permissions:${definitions.map((definition) => definition.name).join(',')}`),
    useFactory: () => {
      registerPermissionSubjects(definitions);
      return definitions;
    },
  };
}
